"""Rendering Syn-TA: the plan, the Blender backend (the only bpy user), workers, and the dataset tree."""
