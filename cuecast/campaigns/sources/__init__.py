"""Ad platforms Cuecast reads campaigns and paid metrics from: one package per platform."""
