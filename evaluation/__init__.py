"""Analysis: the optional calibrated model, simulations and backtests (later issues)."""
