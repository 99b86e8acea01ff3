"""Stage 3, masks → mattes: soft alpha at the frame's resolution (``alpha``), anti-chatter over
time (``antichatter``), and the edge-aware filters both use, which also bring maps to the frame's
resolution (``upsample``)."""
