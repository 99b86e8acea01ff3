"""Where the add-on's panels live: the Sequencer's sidebar, in the VOS Matte tab (mixins)."""


class InSidebar:
    bl_space_type = "SEQUENCE_EDITOR"
    bl_region_type = "UI"
    bl_category = "VOS Matte"


class SubPanel(InSidebar):
    """A section under the main VOS Matte panel."""

    bl_parent_id = "VOSMATTE_PT_panel"
