"""Measuring the pipeline: DAVIS-2016 sequences read from disk (``davis``) and its J and F
metrics (``metrics``)."""
