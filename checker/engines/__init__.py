"""Search strategies over one model: BMC (symbolic); more engines plug in beside it."""
