"""Editor tools around the pipeline: reframing a shot around the object (``reframe``), masks from
scribbles (``scribbles``) through GrabCut (``grabcut``)."""
