"""What the three Meta emulators (Facebook, Instagram, Threads) share: the Graph error envelope,
request parameters, usage headers, rolling publish quotas and two-phase media containers."""
