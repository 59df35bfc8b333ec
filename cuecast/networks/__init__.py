"""One package per social network, the contract they meet (base.py, errors.py), and the registry."""

import warnings

# twitter-text-parser (X and Mastodon counting) imports pkg_resources, which warns on import;
# pyproject pins setuptools<81 so it keeps working. Silence only that one message.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
