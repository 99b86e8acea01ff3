"""Stage 2a, frames → maps: the appearance network and how it learns.

VGG16 with depth-1 side outputs and a fusion layer (``appearance``), its class-balanced loss
(``loss``), training-time augmentation (``augment``), the training step and per-layer learning
rates shared by both trainings (``training``), offline parent training (``parent_training``) and
one-shot fine-tuning (``oneshot``), object-centred crops and training patches (``crops``,
``patches``), and loading/saving weights (``checkpoints``). Uses ``tracking.boxes`` for box
geometry; never imports the tracking stage's filters.
"""

from .appearance import AppearanceNet, MapEnsemble
from .checkpoints import load_net, save_parent
from .oneshot import fine_tune

__all__ = ["AppearanceNet", "MapEnsemble", "fine_tune", "load_net", "save_parent"]
