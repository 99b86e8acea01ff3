"""Stage 2b, maps/boxes → masks: where the object is on each frame.

The swappable instance detector (``detection``), box geometry (``boxes``), the appearance box
filter and component tracking (``box_filter``), the hysteresis connected-component filter
(``hysteresis``), the per-object tracker with the temporal filter and the fallback for objects
the detector cannot name (``tracker``), and the optical-flow prior (``flow_prior``).
"""

from .detection import Detection, Detector
from .tracker import ObjectTracker, TrackState

__all__ = ["Detection", "Detector", "ObjectTracker", "TrackState"]
