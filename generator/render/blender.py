"""Blender backend: turn a ClipSpec into an H.264 MP4 and nothing else.

This is the only module that imports ``bpy``. It decides no content: every position, colour, opacity,
morph, light and camera pose comes from the ClipSpec. Each call resets Blender to an empty factory scene,
builds the clip and renders straight to video with Blender's FFmpeg writer (no PNG round trip).
"""
from __future__ import annotations

import tempfile
from itertools import zip_longest
from pathlib import Path

import bpy
import numpy as np

from synta.generator.annotations import euler_xyz
from synta.generator.clip_spec import ClipSpec, LightSpec, ObjectTrack
from synta.generator.lighting import key_light
from synta.generator.render.layout import CLIP_END, Plane, background_planes
from synta.generator.render.options import RenderOptions
from synta.generator.shapes import get_shape

ENGINE_IDS = {"workbench": "BLENDER_WORKBENCH", "cycles": "CYCLES", "eevee": "BLENDER_EEVEE"}
LINEAR, CONSTANT = 1, 0  # Keyframe.interpolation enum values
# Material looks after the reference: "glossy" ~ its GlossyMix (two glossy BSDFs, Fresnel-mixed),
# "metallic" ~ its glistening Principled BSDF (metallic 0.9, roughness 0.6).
MATERIALS = {"glossy": {"metallic": 0.6, "roughness": 0.25}, "metallic": {"metallic": 0.9, "roughness": 0.6}}
SMOOTH_ANGLE = np.radians(35.0)  # edges sharper than this stay sharp (cube, pyramid); curved faces shade smooth
# Workbench's own lighting: a studio light of ambient plus (diffuse, specular, direction, smooth) lights, in
# view space (x right, y up, z towards the viewer). Blender's "Default" one shows a surface at ~0.6 of its
# colour's display luma; this one shows objects at ~0.95 of theirs, shaded by a key from the upper left and
# a weak fill from the right. Backgrounds are drawn metallic (see _add_background), lit by specular light
# only: the third light, soft and diffuse-free, brings them to about their own colour (the backdrop facing
# the camera and the ground seen from above alike) and adds only a faint sheen to objects.
STUDIO_LIGHT = "synta_workbench.sl"
STUDIO_AMBIENT = 0.4
STUDIO_LIGHTS = ((0.7, 0.4, (-0.45, 0.45, 0.77), 0.0), (0.25, 0.0, (0.55, -0.2, 0.8), 0.0),
                 (0.0, 1.1, (0.0, 0.7, 0.7), 1.0))


def render_clip(spec: ClipSpec, out_path: Path, options: RenderOptions) -> None:
    """Render ``spec`` to ``out_path`` (an .mp4 path; the file is written by Blender's FFmpeg writer)."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    _setup_output(scene, spec, options, out_path)
    _setup_world(scene, spec, options)
    _add_camera(scene, spec)
    _add_background(scene, spec, options)
    objects = bpy.data.collections.new("objects")  # what objects-only lights light (light linking)
    # Workbench lights with its studio light (the key sun only aims its shadows); the sky is the world
    for light in spec.lights if options.engine != "workbench" else []:
        if light.kind != "WORLD":
            _add_light(scene, light, objects)
    for track in spec.objects:
        _add_object(scene, track, objects)
    bpy.ops.render.render(animation=True)
    _purge()


# -- scene setup ------------------------------------------------------------------------------------

def _setup_output(scene, spec: ClipSpec, options: RenderOptions, out_path: Path) -> None:
    r = scene.render
    r.engine = ENGINE_IDS[options.engine]
    r.resolution_x, r.resolution_y = spec.resolution
    r.resolution_percentage = 100
    r.fps, r.fps_base = spec.fps, 1.0
    scene.frame_start, scene.frame_end = 1, spec.num_frames
    r.use_stamp = False
    r.film_transparent = False
    scene.view_settings.view_transform = "Standard"  # colours in the spec map to pixels without a filmic curve
    r.image_settings.media_type = "VIDEO"
    r.image_settings.file_format = "FFMPEG"
    r.ffmpeg.format = "MPEG4"
    r.ffmpeg.codec = "H264"
    r.ffmpeg.constant_rate_factor = "HIGH"
    r.ffmpeg.gopsize = 12
    r.ffmpeg.use_max_b_frames = True
    r.ffmpeg.max_b_frames = 0  # simple, deterministic stream
    r.use_file_extension = False
    r.filepath = str(out_path)
    if options.threads:
        r.threads_mode, r.threads = "FIXED", options.threads
    if options.engine == "cycles":
        scene.cycles.device = options.device
        scene.cycles.samples = options.samples
        scene.cycles.use_denoising = options.denoise
        scene.cycles.seed = spec.seed % (2**31)
        scene.cycles.max_bounces = 4
    elif options.engine == "eevee":
        scene.eevee.taa_render_samples = options.samples
    else:
        shading = scene.display.shading
        shading.light = "STUDIO"
        shading.studio_light = _studio_light()
        shading.color_type = "TEXTURE"  # material colours, and the image of textured grounds/backdrops
        shading.show_specular_highlight = True
        shading.background_type = "WORLD"
        scene.display.shadow_focus = 0.6
        sun = key_light(spec.lights)
        shading.show_shadows = sun is not None and sun.shadow
        if sun is not None:  # Workbench ignores lights; aim its shadow like the key light
            travel = euler_xyz(np.array([sun.rotation]))[0] @ np.array([0.0, 0.0, -1.0])
            # Workbench reads light_direction in its own frame: world = (-x, z, -y) of it, pointing the
            # way the light travels (workbench_shadow.cc); a world vector passed as is lit from below and
            # put the whole ground in shadow
            scene.display.light_direction = (-travel[0], -travel[2], travel[1])


def _studio_light() -> str:
    """Name of the STUDIO_LIGHT studio light, made once per process (factory resets keep it)."""
    prefs = bpy.context.preferences
    if STUDIO_LIGHT not in {light.name for light in prefs.studio_lights}:
        # Blender makes a studio light only from the preferences' light editor values, writing them to a
        # file; the light lives on in memory, so the file goes right away
        prefs.system.light_ambient = (STUDIO_AMBIENT,) * 3
        for slot, light in zip_longest(prefs.system.solid_lights, STUDIO_LIGHTS):
            slot.use = light is not None
            if light is not None:
                diffuse, specular, direction, smooth = light
                slot.diffuse_color, slot.specular_color = (diffuse,) * 3, (specular,) * 3
                slot.direction = tuple(np.asarray(direction) / np.linalg.norm(direction))
                slot.smooth = smooth
        with tempfile.TemporaryDirectory() as tmp:
            prefs.studio_lights.new(str(Path(tmp) / STUDIO_LIGHT))
    return STUDIO_LIGHT


def _setup_world(scene, spec: ClipSpec, options: RenderOptions) -> None:
    """Cycles/EEVEE: the spec's sky light as the world background. Workbench draws ``world.color`` where
    no surface is: the background's colour."""
    world = bpy.data.worlds.new("world")
    scene.world = world
    world.color = _mean_image_color(options, spec) if spec.background.kind == "realistic" else spec.background.color
    world.use_nodes = True
    bg = world.node_tree.nodes.get("Background")
    sky = next((light for light in spec.lights if light.kind == "WORLD"), None)
    bg.inputs["Color"].default_value = (*(sky.color if sky else (0.0, 0.0, 0.0)), 1.0)
    bg.inputs["Strength"].default_value = sky.energy if sky else 0.0


def _add_camera(scene, spec: ClipSpec) -> None:
    cam_data = bpy.data.cameras.new("camera")
    cam_data.lens = spec.camera.lens_mm
    cam_data.sensor_width = spec.camera.sensor_mm
    cam_data.sensor_fit = "HORIZONTAL"
    cam_data.clip_end = CLIP_END
    cam = bpy.data.objects.new("camera", cam_data)
    scene.collection.objects.link(cam)
    rot = spec.camera_model().rotation()  # rows: right, down, forward (OpenCV)
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2] = rot[0], -rot[1], -rot[2]  # Blender: x right, y up, looking down -z
    m[:3, 3] = spec.camera.position
    cam.matrix_world = m.T.tolist()  # mathutils takes rows
    scene.camera = cam


def _add_light(scene, light: LightSpec, objects) -> None:
    data = bpy.data.lights.new(light.kind.lower(), light.kind)
    data.energy = light.energy
    data.color = light.color
    data.use_shadow = light.shadow
    if light.kind == "AREA":
        data.size = 2.0
    obj = bpy.data.objects.new(light.kind.lower(), data)
    obj.location = light.position
    obj.rotation_euler = light.rotation
    if light.objects_only:
        obj.light_linking.receiver_collection = objects
    scene.collection.objects.link(obj)


# -- background -------------------------------------------------------------------------------------

def _add_background(scene, spec: ClipSpec, options: RenderOptions) -> None:
    """The clip's background planes (``layout.background_planes``), plain-coloured or textured with its
    scene image."""
    img = None
    if spec.background.kind == "realistic":
        img = bpy.data.images.load(options.image(spec.background.image_list, spec.background.image),
                                   check_existing=True)
    name, aspect = None, 1.0
    if img is not None:
        name, aspect = Path(img.filepath).stem, img.size[0] / img.size[1] if img.size[1] else 1.0
    materials = {}
    for plane in background_planes(spec, name, aspect):
        # the horizon backdrop is sky: it shines (its picture as it is) rather than being lit
        shines = plane.name == "horizon"
        if shines not in materials:
            materials[shines] = _background_material(spec, options, img, shines)
        _add_plane(scene, plane, materials[shines])


def _add_plane(scene, plane: Plane, mat) -> None:
    """One mesh for ``plane``: a quad per (u interval, v interval) pair, neighbours sharing vertices."""
    xs = [t[0] for t in plane.tiles_u] + [plane.tiles_u[-1][1]]
    ys = [t[0] for t in plane.tiles_v] + [plane.tiles_v[-1][1]]
    verts = [tuple(plane.origin + plane.u * a + plane.v * b) for a in xs for b in ys]
    faces, uvs = [], []
    for i, (_, _, s0, s1) in enumerate(plane.tiles_u):
        for j, (_, _, t0, t1) in enumerate(plane.tiles_v):
            k = i * len(ys) + j
            faces.append((k, k + len(ys), k + len(ys) + 1, k + 1))
            uvs += [(s0, t0), (s1, t0), (s1, t1), (s0, t1)]
    mesh = bpy.data.meshes.new(plane.name)
    mesh.from_pydata(verts, [], faces)
    mesh.uv_layers.new(name="UVMap").data.foreach_set("uv", np.asarray(uvs, dtype=np.float32).ravel())
    mesh.materials.append(mat)
    obj = bpy.data.objects.new(plane.name, mesh)
    obj.display.show_shadows = False  # receives shadows, casts none (the plane's own volume costs time)
    obj.visible_shadow = False  # the same for Cycles and EEVEE
    scene.collection.objects.link(obj)


def _background_material(spec: ClipSpec, options: RenderOptions, img, shines: bool):
    """The background's picture (or plain colour): matte in Cycles/EEVEE (a diffuse BSDF, with no specular
    veil over dark pictures), or emitted as it is where ``shines``; Workbench draws the viewport settings."""
    mat = bpy.data.materials.new("sky" if shines else "background")
    mat.use_nodes = True
    nodes = mat.node_tree.nodes
    nodes.remove(nodes.get("Principled BSDF"))
    shader = nodes.new("ShaderNodeEmission" if shines else "ShaderNodeBsdfDiffuse")  # strength 1, Lambertian
    mat.node_tree.links.new(shader.outputs[0], nodes.get("Material Output").inputs["Surface"])
    # Workbench adds specular light x F0 (0.05 for a dielectric) to every surface: a grey veil over dark
    # scene images. A metallic surface's F0 is its own colour and it has no diffuse term, so at roughness 1
    # it shows colour x (ambient + the lights' specular): the image's own brightness, black stays black
    mat.roughness, mat.metallic = 1.0, 1.0
    if img is not None:
        tex = nodes.new("ShaderNodeTexImage")
        tex.image = img
        mat.node_tree.links.new(tex.outputs["Color"], shader.inputs["Color"])
        nodes.active = tex  # Workbench's texture colour mode shows the active image node
        mat.diffuse_color = (*_mean_image_color(options, spec), 1.0)
    else:
        shader.inputs["Color"].default_value = (*spec.background.color, 1.0)
        mat.diffuse_color = (*spec.background.color, 1.0)
    return mat


def _mean_image_color(options: RenderOptions, spec: ClipSpec) -> list[float]:
    img = bpy.data.images.load(options.image(spec.background.image_list, spec.background.image),
                               check_existing=True)
    px = np.empty(len(img.pixels), dtype=np.float32)
    img.pixels.foreach_get(px)
    return [float(c) for c in px.reshape(-1, 4)[:, :3].mean(0)]


# -- objects ----------------------------------------------------------------------------------------

def _add_object(scene, track: ObjectTrack, objects) -> None:
    """The object as one mesh object, or two while it morphs (old shape scaled by 1 - m, new by m)."""
    mat = _object_material(track)
    parts = [(track.shape, 1.0 - track.morph)]
    if track.morph_to:
        parts.append((track.morph_to, track.morph))
    for shape_name, share in parts:
        obj = bpy.data.objects.new(f"object{track.id}_{shape_name}", _mesh(shape_name))
        obj.data.materials.append(mat)
        scene.collection.objects.link(obj)
        objects.objects.link(obj)
        scale = track.scale * share
        shown = track.exists & (scale > 1e-4) & (track.opacity > 1e-3)
        _animate(obj, "location", track.position)
        _animate(obj, "rotation_euler", track.rotation)
        _animate(obj, "scale", np.repeat(np.maximum(scale, 1e-4)[:, None], 3, axis=1))
        _animate(obj, "hide_render", (~shown).astype(float)[:, None], CONSTANT)


def _object_material(track: ObjectTrack):
    mat = bpy.data.materials.new(f"object{track.id}")
    look = MATERIALS[track.material]
    # Workbench draws metallic as dark, tinted reflection (0.6 metallic showed 0.4 of the body colour);
    # its viewport metallic stays 0 so the body colour shows; Cycles/EEVEE use the BSDF below
    mat.metallic, mat.roughness = 0.0, look["roughness"]
    mat.use_nodes = True
    bsdf = mat.node_tree.nodes.get("Principled BSDF")
    bsdf.inputs["Metallic"].default_value = look["metallic"]
    bsdf.inputs["Roughness"].default_value = look["roughness"]
    rgba = np.concatenate([track.color, track.opacity[:, None]], axis=1)
    _animate(mat, "diffuse_color", rgba)  # Workbench reads the viewport colour (with alpha)
    _animate(mat.node_tree, 'nodes["Principled BSDF"].inputs["Base Color"].default_value', rgba[:, :3])
    if (track.opacity < 1.0).any():
        _animate(mat.node_tree, 'nodes["Principled BSDF"].inputs["Alpha"].default_value', track.opacity[:, None])
        mat.surface_render_method = "BLENDED"
    return mat


def _mesh(shape_name: str):
    existing = bpy.data.meshes.get(f"shape_{shape_name}")
    if existing is not None:
        return existing
    shape = get_shape(shape_name)
    mesh = bpy.data.meshes.new(f"shape_{shape_name}")
    mesh.from_pydata(shape.vertices.tolist(), [], shape.faces.tolist())
    mesh.shade_smooth()
    mesh.set_sharp_from_angle(angle=SMOOTH_ANGLE)
    mesh.update()
    return mesh


def _animate(datablock, path: str, values: np.ndarray, interpolation: int = LINEAR) -> None:
    """Key every frame of ``values`` (T, C) on ``datablock.<path>[c]`` in one call per channel."""
    if datablock.animation_data is None:
        datablock.animation_data_create()
    if datablock.animation_data.action is None:
        datablock.animation_data.action = bpy.data.actions.new(f"{datablock.name}_action")
    action = datablock.animation_data.action
    values = np.asarray(values, dtype=float)
    n = len(values)
    frames = np.arange(1, n + 1, dtype=float)
    for c in range(values.shape[1]):
        fc = action.fcurve_ensure_for_datablock(datablock, path, index=c)
        fc.keyframe_points.add(n)
        co = np.empty(2 * n)
        co[0::2], co[1::2] = frames, values[:, c]
        fc.keyframe_points.foreach_set("co", co)
        fc.keyframe_points.foreach_set("interpolation", [interpolation] * n)
        fc.update()


def _purge() -> None:
    """Drop orphan data so a long-lived worker does not grow from clip to clip."""
    bpy.data.orphans_purge(do_local_ids=True, do_linked_ids=True, do_recursive=True)
