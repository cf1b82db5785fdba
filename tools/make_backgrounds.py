"""Render synta's default background images with procedural Blender scenes.

Makes 20 photo-like scene images, 10 in ``set1/`` and 10 in ``set2/`` (the same
spirit as the reference dataset's two background lists: landscapes, skies and
interiors).  Every pixel comes from Blender's procedural features only -- sky
textures, noise/voronoi/wave/brick/checker shader textures, terrain lifted by
Blender's fractal noise and simple box/cylinder/sphere geometry -- so no external
image, texture or model is used and the project may ship the results under its
own licence (see assets/backgrounds/LICENSE.md).

Runs headless with the ``bpy`` module (not inside the Blender GUI)::

    .venv/bin/python tools/make_backgrounds.py [--only NAME ...]
        [--samples N] [--size PX] [--out DIR]

Output is ``<out>/set1/<name>.jpg`` and ``<out>/set2/<name>.jpg`` (default
``<out>`` is ``assets/backgrounds/``, where the package ships them).  Cycles on the CPU with OpenImageDenoise; at
the defaults (1024 px, 16 samples) the whole set takes 12-15 minutes on two CPU
cores (20-85 s per image, most of it path tracing).  Everything is seeded
(fixed Cycles seed, per-scene random.Random, fixed noise offsets), so a rerun
on the same machine gives pixel-identical images.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence, Union

import bpy

# isort: split
# bpy must be imported first: it is what makes bmesh and mathutils importable.
import bmesh
from mathutils import Matrix, Vector, noise

HERE = Path(__file__).resolve().parents[1] / "assets" / "backgrounds"  # where the images ship

# Anything a node input accepts: a constant or the output of another node.
Value = Union[float, int, Sequence[float], bpy.types.NodeSocket, bpy.types.Node]
Color = tuple[float, float, float]


# --------------------------------------------------------------------------
# Node building
# --------------------------------------------------------------------------


def out(node: bpy.types.Node, name: str) -> bpy.types.NodeSocket:
    """Named output of a node (nodes reuse names across data types, so only
    the sockets that are enabled for the node's current mode count)."""
    for sock in node.outputs:
        if sock.name == name and sock.enabled:
            return sock
    raise KeyError(f"{node.bl_idname} has no output {name!r}")


class Graph:
    """Thin builder over a shader node tree so scenes read declaratively."""

    def __init__(self, tree: bpy.types.NodeTree) -> None:
        self.tree = tree

    # -- plumbing --------------------------------------------------------
    def feed(self, sock: bpy.types.NodeSocket, value: Value) -> None:
        if isinstance(value, bpy.types.Node):
            value = next(s for s in value.outputs if s.enabled)
        if isinstance(value, bpy.types.NodeSocket):
            self.tree.links.new(value, sock)
        elif sock.type == "RGBA" and len(value) == 3:
            sock.default_value = (*value, 1.0)
        else:
            sock.default_value = value

    def node(self, kind: str, props: dict | None = None, **inputs: Value) -> bpy.types.Node:
        """New node; props are RNA properties (set first because they decide
        which sockets exist), keyword inputs are sockets ('_' for spaces)."""
        n = self.tree.nodes.new(kind)
        for key, val in (props or {}).items():
            setattr(n, key, val)
        for key, val in inputs.items():
            name = key.replace("_", " ")
            sock = next((s for s in n.inputs if s.name == name and s.enabled), None)
            if sock is None:
                raise KeyError(f"{kind} has no input {name!r}")
            self.feed(sock, val)
        return n

    def nth(self, kind: str, props: dict | None, *inputs: Value) -> bpy.types.Node:
        """New node fed positionally (for nodes whose inputs share a name)."""
        n = self.node(kind, props)
        socks = [s for s in n.inputs if s.enabled]
        for sock, val in zip(socks, inputs):
            if val is not None:
                self.feed(sock, val)
        return n

    # -- coordinates -----------------------------------------------------
    def coord(self, kind: str = "Object") -> bpy.types.NodeSocket:
        return out(self.node("ShaderNodeTexCoord"), kind)

    def geo(self, kind: str = "Position") -> bpy.types.NodeSocket:
        return out(self.node("ShaderNodeNewGeometry"), kind)

    def xyz(self, vec: Value) -> tuple[bpy.types.NodeSocket, ...]:
        n = self.node("ShaderNodeSeparateXYZ", Vector=vec)
        return out(n, "X"), out(n, "Y"), out(n, "Z")

    def vec(self, x: Value, y: Value, z: Value) -> bpy.types.Node:
        return self.node("ShaderNodeCombineXYZ", X=x, Y=y, Z=z)

    def scale(self, vec: Value, s: Sequence[float]) -> bpy.types.Node:
        """Anisotropic scale: stretches a texture along chosen axes."""
        return self.nth("ShaderNodeVectorMath", {"operation": "MULTIPLY"}, vec, s)

    # -- maths -----------------------------------------------------------
    def math(self, op: str, a: Value, b: Value = 0.0, c: Value | None = None,
             clamp: bool = False) -> bpy.types.Node:
        return self.nth("ShaderNodeMath", {"operation": op, "use_clamp": clamp}, a, b, c)

    def vmath(self, op: str, a: Value, b: Value | None = None) -> bpy.types.Node:
        return self.nth("ShaderNodeVectorMath", {"operation": op}, a, b)

    def remap(self, x: Value, lo: float, hi: float, to_lo: float = 0.0, to_hi: float = 1.0,
              smooth: bool = False) -> bpy.types.Node:
        """Map [lo, hi] to [to_lo, to_hi], clamped (smoothstep when smooth)."""
        return self.node("ShaderNodeMapRange",
                         {"interpolation_type": "SMOOTHSTEP" if smooth else "LINEAR"},
                         Value=x, From_Min=lo, From_Max=hi, To_Min=to_lo, To_Max=to_hi)

    # -- textures --------------------------------------------------------
    def noise(self, vec: Value | None, scale: float, detail: float = 4.0,
              rough: float = 0.5, distort: float = 0.0, seed: float = 0.0,
              kind: str = "FBM", lac: float = 2.0) -> bpy.types.Node:
        """3-D noise; the seed shifts the lookup point (4-D noise with the seed
        as W would cost about twice as much per shading point)."""
        if vec is None:
            vec = self.coord("Generated")
        if seed:
            vec = self.vmath("ADD", vec, (seed * 37.1, seed * -19.7, seed * 11.3))
        return self.node("ShaderNodeTexNoise", {"noise_dimensions": "3D", "noise_type": kind},
                         Vector=vec, Scale=scale, Detail=detail, Roughness=rough,
                         Distortion=distort, Lacunarity=lac)

    def voronoi(self, vec: Value | None, scale: float, feature: str = "F1",
                seed: float = 0.0, rand: float = 1.0, metric: str = "EUCLIDEAN",
                dims: str = "3D") -> bpy.types.Node:
        if vec is None:
            vec = self.coord("Generated")
        if seed:
            vec = self.vmath("ADD", vec, (seed * 37.1, seed * -19.7, seed * 11.3))
        return self.node("ShaderNodeTexVoronoi",
                         {"voronoi_dimensions": dims, "feature": feature, "distance": metric},
                         Vector=vec, Scale=scale, Randomness=rand)

    def wave(self, vec: Value | None, scale: float, distort: float = 0.0,
             detail: float = 2.0, kind: str = "BANDS", axis: str = "X",
             profile: str = "SIN", detail_scale: float = 1.0) -> bpy.types.Node:
        props = {"wave_type": kind, "wave_profile": profile}
        props["bands_direction" if kind == "BANDS" else "rings_direction"] = axis
        inputs = dict(Scale=scale, Distortion=distort, Detail=detail, Detail_Scale=detail_scale)
        if vec is not None:
            inputs["Vector"] = vec
        return self.node("ShaderNodeTexWave", props, **inputs)

    def brick(self, vec: Value | None, c1: Color, c2: Color, mortar: Color,
              scale: float = 1.0, mortar_size: float = 0.02, width: float = 0.5,
              height: float = 0.25, bias: float = 0.0, offset: float = 0.5,
              smooth: float = 0.1) -> bpy.types.Node:
        inputs = dict(Color1=c1, Color2=c2, Mortar=mortar, Scale=scale,
                      Mortar_Size=mortar_size, Mortar_Smooth=smooth, Bias=bias,
                      Brick_Width=width, Row_Height=height)
        if vec is not None:
            inputs["Vector"] = vec
        return self.node("ShaderNodeTexBrick", {"offset": offset}, **inputs)

    def white(self, vec: Value) -> bpy.types.Node:
        """Hash of a (cell) coordinate: a stable random value per cell."""
        return self.node("ShaderNodeTexWhiteNoise", {"noise_dimensions": "3D"}, Vector=vec)

    # -- colour ----------------------------------------------------------
    def ramp(self, fac: Value, stops: Sequence[tuple[float, Sequence[float]]],
             interp: str = "LINEAR") -> bpy.types.NodeSocket:
        n = self.node("ShaderNodeValToRGB", Factor=fac)
        cr = n.color_ramp
        cr.interpolation = interp
        while len(cr.elements) < len(stops):
            cr.elements.new(0.5)
        for el, (pos, col) in zip(cr.elements, stops):
            el.position = pos
            el.color = (*col, 1.0) if len(col) == 3 else tuple(col)
        return out(n, "Color")

    def mix(self, fac: Value, a: Value, b: Value, blend: str = "MIX") -> bpy.types.NodeSocket:
        n = self.node("ShaderNodeMix", {"data_type": "RGBA", "blend_type": blend},
                      Factor=fac, A=a, B=b)
        return out(n, "Result")

    # -- shaders ---------------------------------------------------------
    def bump(self, height: Value, strength: float = 0.3, distance: float = 0.1,
             normal: Value | None = None) -> bpy.types.Node:
        inputs = dict(Height=height, Strength=strength, Distance=distance)
        if normal is not None:
            inputs["Normal"] = normal
        return self.node("ShaderNodeBump", **inputs)

    def bsdf(self, color: Value, rough: Value = 0.6, normal: Value | None = None,
             **extra: Value) -> bpy.types.Node:
        inputs = dict(Base_Color=color, Roughness=rough, **extra)
        if normal is not None:
            inputs["Normal"] = normal
        return self.node("ShaderNodeBsdfPrincipled", **inputs)

    def emit(self, color: Value, strength: Value = 1.0) -> bpy.types.Node:
        return self.node("ShaderNodeEmission", Color=color, Strength=strength)

    def mixsh(self, fac: Value, a: Value, b: Value) -> bpy.types.Node:
        return self.nth("ShaderNodeMixShader", None, fac, a, b)


def material(name: str, build: Callable[[Graph], Value], glows: bool = False) -> bpy.types.Material:
    """Material whose surface is whatever `build` returns.  Only materials
    marked `glows` are sampled as lights: Cycles would otherwise put every
    triangle of an emissive (or fogged) terrain into its light tree, which
    made renders three times slower."""
    mat = bpy.data.materials.new(name)
    mat.cycles.emission_sampling = "AUTO" if glows else "NONE"
    tree = mat.node_tree
    tree.nodes.clear()
    g = Graph(tree)
    res = g.node("ShaderNodeOutputMaterial")
    g.feed(res.inputs["Surface"], build(g))
    return mat


def flat(name: str, color: Color, rough: float = 0.6, **extra: Value) -> bpy.types.Material:
    return material(name, lambda g: g.bsdf(color, rough, **extra))


def world(build: Callable[[Graph], Value], strength: float = 1.0,
          importance: bool = True) -> None:
    """World background: `build` returns the colour seen in every direction.
    Its light is importance-sampled from a small map: baking the default
    large map costs seconds for the heavier procedural skies, and skies with
    no real light (night) skip it entirely."""
    w = bpy.data.worlds.new("World")
    w.cycles.sampling_method = "MANUAL" if importance else "NONE"
    w.cycles.sample_map_resolution = 256
    bpy.context.scene.world = w
    tree = w.node_tree
    tree.nodes.clear()
    g = Graph(tree)
    bg = g.node("ShaderNodeBackground", Color=build(g), Strength=strength)
    res = g.node("ShaderNodeOutputWorld")
    g.feed(res.inputs["Surface"], bg)


def add_fog(density: float, color: Color | None = None, start: float = 0.0,
            tint: Color = (1.0, 1.0, 1.0)) -> None:
    """Aerial perspective without a (slow) volume: every material built so
    far fades with camera distance towards `color`, or, when that is None,
    towards the sky's own horizon colour in the viewing direction (so distant
    terrain melts into the sky without a seam).  Only camera rays are fogged,
    so the fog never lights the scene.  Call it after building materials."""
    for mat in bpy.data.materials:
        tree = mat.node_tree
        res = next(n for n in tree.nodes if n.bl_idname == "ShaderNodeOutputMaterial")
        surf = res.inputs["Surface"]
        if not surf.links or mat.get("nofog"):
            continue
        src = surf.links[0].from_socket
        g = Graph(tree)
        dist = out(g.node("ShaderNodeCameraData"), "View Distance")
        d = g.math("MAXIMUM", g.math("SUBTRACT", dist, start), 0.0)
        keep = g.math("EXPONENT", g.math("MULTIPLY", d, -density))
        fac = g.math("MULTIPLY", g.math("SUBTRACT", 1.0, keep),
                     out(g.node("ShaderNodeLightPath"), "Is Camera Ray"))
        if color is None:
            # Incoming points back at the camera: flip it and read the sky
            # just above the horizon in that compass direction.
            x, y, _ = g.xyz(g.geo("Incoming"))
            horizon = sky_at(g, g.vec(g.math("MULTIPLY", x, -1.0),
                                      g.math("MULTIPLY", y, -1.0), 0.0))
            col = g.mix(1.0, horizon, tint, "MULTIPLY")
        else:
            col = color
        g.feed(surf, g.mixsh(fac, src, g.emit(col)))


# --------------------------------------------------------------------------
# Skies
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Sky:
    """Physical (multiple scattering) sky.  `gain` scales its physical
    radiance down to display range, so lamps and clouds use plain numbers."""

    elev: float                 # sun elevation, degrees
    azim: float                 # sun azimuth, degrees, 0 = +Y, 90 = +X
    air: float = 1.0
    aerosol: float = 1.0
    ozone: float = 1.0
    gain: float = 0.2


_SKY: list[Sky] = []            # the current scene's sky, for add_fog


def sun_vector(elev_deg: float, azim_deg: float) -> Vector:
    """Unit vector towards the sun; azimuth 0 = +Y (the way cameras look)."""
    e, a = math.radians(elev_deg), math.radians(azim_deg)
    return Vector((math.sin(a) * math.cos(e), math.cos(a) * math.cos(e), math.sin(e)))


def sky_at(g: Graph, direction: Value, spec: Sky | None = None) -> bpy.types.NodeSocket:
    """Sky colour in `direction` (need not be normalised).  Directions below
    the horizon get the horizon colour: the model's dark ground would show as
    a line wherever the terrain ends."""
    spec = spec or _SKY[-1]
    x, y, z = g.xyz(direction)
    d = g.vmath("NORMALIZE", g.vec(x, y, g.math("MAXIMUM", z, 0.004)))
    n = g.node("ShaderNodeTexSky", {
        "sky_type": "MULTIPLE_SCATTERING", "sun_elevation": math.radians(spec.elev),
        # Blender's rotation 0 puts the sun at +Y, growing towards +X: exactly
        # sun_vector's azimuth, so lamps and sky agree.
        "sun_rotation": math.radians(spec.azim), "air_density": spec.air,
        "aerosol_density": spec.aerosol, "ozone_density": spec.ozone,
        # No disc: a sun lamp gives cleaner shadows at low sample counts.
        "sun_disc": False, "altitude": 100.0}, Vector=d)
    return out(g.nth("ShaderNodeVectorMath", {"operation": "SCALE"}, out(n, "Color"),
                     spec.gain), "Vector")


def sky(g: Graph, spec: Sky) -> bpy.types.NodeSocket:
    """Sky in the world's view direction; remembers `spec` for add_fog."""
    _SKY.append(spec)
    return sky_at(g, g.coord("Generated"), spec)


def dirs(g: Graph) -> tuple[bpy.types.NodeSocket, ...]:
    """x, y, z of the view direction inside a world shader."""
    return g.xyz(g.coord("Generated"))


@dataclass(frozen=True)
class Clouds:
    """A 2-D cloud deck projected onto the sky dome (cheap next to volumes)."""

    cover: float = 0.5          # 0 clear .. 1 overcast
    scale: float = 1.2          # noise frequency on the deck
    lit: Color = (1.0, 1.0, 1.0)
    shade: Color = (0.45, 0.48, 0.55)
    soft: float = 0.18          # edge softness of the cloud mask
    stretch: float = 1.0        # >1 stretches clouds along x (wind streaks)
    detail: float = 8.0
    seed: float = 0.0
    opacity: float = 1.0


def cloud_deck(g: Graph, base: Value, c: Clouds, sun: Vector | None = None) -> bpy.types.NodeSocket:
    x, y, z = dirs(g)
    zc = g.math("MAXIMUM", z, 0.03)
    # Project the direction onto a flat deck above the camera: perspective
    # makes clouds shrink and crowd towards the horizon like real ones.
    u = g.math("DIVIDE", x, zc)
    v = g.math("DIVIDE", y, zc)
    p = g.vec(g.math("DIVIDE", u, c.stretch), v, 0.0)
    n1 = g.noise(p, c.scale, c.detail, 0.58, 0.3, seed=c.seed)
    lo = 1.0 - c.cover
    dens = g.remap(out(n1, "Factor"), lo * 0.9 + 0.05 - c.soft / 2, lo * 0.9 + 0.05 + c.soft / 2,
                   smooth=True)
    # Fake self-shadowing: denser noise a little towards the sun means this
    # point is in the shadow of the cloud above it.
    shift = (0.06, 0.06, 0.0) if sun is None else (sun.x * 0.08, sun.y * 0.08, 0.0)
    p2 = g.vmath("ADD", p, shift)
    n2 = g.noise(p2, c.scale, c.detail, 0.58, 0.3, seed=c.seed)
    light = g.remap(g.math("SUBTRACT", out(n2, "Factor"), out(n1, "Factor")), -0.04, 0.06)
    col = g.mix(light, c.lit, c.shade)
    fade = g.remap(z, 0.0, 0.18, smooth=True)
    alpha = g.math("MULTIPLY", g.math("MULTIPLY", dens, fade), c.opacity)
    return g.mix(alpha, base, col)


def star_field(g: Graph, density: float = 300.0, seed: float = 0.0,
               size: float = 0.09, gain: float = 8.0) -> bpy.types.NodeSocket:
    """Point stars: voronoi cells on the sphere of directions, one star per
    cell, a random brightness each."""
    d = g.coord("Generated")
    vor = g.voronoi(d, density, seed=seed)
    core = g.remap(out(vor, "Distance"), 0.0, size, 1.0, 0.0)
    core = g.math("POWER", core, 3.0)
    bright = g.math("POWER", g.xyz(out(vor, "Color"))[0], 6.0)
    star = g.math("MULTIPLY", core, g.math("MULTIPLY", bright, gain))
    tint = g.ramp(g.xyz(out(vor, "Color"))[1], [(0.0, (1.0, 0.75, 0.55)), (0.5, (1, 1, 1)),
                                                 (1.0, (0.65, 0.78, 1.0))])
    return g.mix(1.0, tint, star, "MULTIPLY")


# --------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------


def link(name: str, mesh: bpy.types.Mesh, mat: bpy.types.Material | None,
         loc: Sequence[float] = (0, 0, 0), rot: Sequence[float] = (0, 0, 0),
         scale: Sequence[float] | float = 1.0, smooth: bool = False) -> bpy.types.Object:
    if mat is not None and not mesh.materials:
        mesh.materials.append(mat)
    if smooth:
        mesh.shade_smooth()
    ob = bpy.data.objects.new(name, mesh)
    ob.location = loc
    ob.rotation_euler = [math.radians(r) for r in rot]
    ob.scale = (scale,) * 3 if isinstance(scale, (int, float)) else scale
    bpy.context.scene.collection.objects.link(ob)
    return ob


def clone(ob: bpy.types.Object, loc: Sequence[float], rot: Sequence[float] = (0, 0, 0),
          scale: Sequence[float] | float = 1.0) -> bpy.types.Object:
    """Linked duplicate: shares the mesh, so Cycles instances it cheaply."""
    new = ob.copy()
    new.location = loc
    new.rotation_euler = [math.radians(r) for r in rot]
    new.scale = (scale,) * 3 if isinstance(scale, (int, float)) else scale
    bpy.context.scene.collection.objects.link(new)
    return new


def _mesh(name: str, fill: Callable[[bmesh.types.BMesh], None]) -> bpy.types.Mesh:
    bm = bmesh.new()
    fill(bm)
    me = bpy.data.meshes.new(name)
    bm.to_mesh(me)
    bm.free()
    return me


def box_mesh(name: str = "box") -> bpy.types.Mesh:
    """Unit cube with its base at z=0, so scale.z is the height."""
    def fill(bm: bmesh.types.BMesh) -> None:
        bmesh.ops.create_cube(bm, size=1.0)
        for v in bm.verts:
            v.co.z += 0.5
    return _mesh(name, fill)


def box(name: str, mat: bpy.types.Material, loc: Sequence[float], size: Sequence[float],
        rot_z: float = 0.0) -> bpy.types.Object:
    """Box of `size` standing on `loc` (loc is the centre of its base)."""
    return link(name, box_mesh(name), mat, loc, (0, 0, rot_z), size)


def cylinder(name: str, mat: bpy.types.Material, loc: Sequence[float], radius: float,
             height: float, top: float | None = None, segments: int = 24,
             smooth: bool = True) -> bpy.types.Object:
    """Cylinder (or cone frustum when `top` differs) standing on `loc`."""
    def fill(bm: bmesh.types.BMesh) -> None:
        bmesh.ops.create_cone(bm, cap_ends=True, segments=segments, radius1=radius,
                              radius2=radius if top is None else top, depth=height)
        for v in bm.verts:
            v.co.z += height / 2
    return link(name, _mesh(name, fill), mat, loc, smooth=smooth)


def sphere(name: str, mat: bpy.types.Material, loc: Sequence[float], radius: float,
           subdiv: int = 3) -> bpy.types.Object:
    def fill(bm: bmesh.types.BMesh) -> None:
        bmesh.ops.create_icosphere(bm, subdivisions=subdiv, radius=radius)
    return link(name, _mesh(name, fill), mat, loc, smooth=True)


def terrain(name: str, mat: bpy.types.Material, size: float, res: int,
            height: Callable[[float, float], float],
            loc: Sequence[float] = (0, 0, 0)) -> bpy.types.Object:
    """Grid whose vertices are lifted by `height(x, y)` (Blender's
    mathutils.noise fractals); fine detail comes from the material's bump."""
    def fill(bm: bmesh.types.BMesh) -> None:
        bmesh.ops.create_grid(bm, x_segments=res, y_segments=res, size=size / 2)
        for v in bm.verts:
            v.co.z = height(v.co.x + loc[0], v.co.y + loc[1])
    return link(name, _mesh(name, fill), mat, loc, smooth=True)


def ground(mat: bpy.types.Material, z: float = 0.0, size: float = 40000.0) -> bpy.types.Object:
    """Huge flat plane under everything so the horizon never shows the
    world below it; distance fog blends it into the sky."""
    def fill(bm: bmesh.types.BMesh) -> None:
        bmesh.ops.create_grid(bm, x_segments=1, y_segments=1, size=size / 2)
    return link("ground", _mesh("ground", fill), mat, (0, 0, z))


def conifer(name: str, bark: bpy.types.Material, leaves: bpy.types.Material,
            rng: random.Random, tiers: int = 9, bare: float = 0.25,
            width: float = 0.3) -> bpy.types.Object:
    """Unit-height spruce: a tapering trunk and whorls of drooping branch
    blobs (a few flattened icospheres per whorl), which gives a ragged
    silhouette where plain cones look like toys.  Scale the object to size;
    clones share the mesh."""
    def fill(bm: bmesh.types.BMesh) -> None:
        geom = bmesh.ops.create_cone(bm, cap_ends=True, segments=8, radius1=0.012,
                                     radius2=0.002, depth=1.0)
        for v in geom["verts"]:
            v.co.z += 0.5
        for f in bm.faces:
            f.material_index = 0
        for i in range(tiers):
            t = (i + rng.uniform(-0.3, 0.3)) / tiers
            z = bare + (1 - bare) * t
            r = width * (1 - t) ** 0.9 + 0.03
            n = max(3, int(7 - 3 * t))
            for k in range(n):
                ang = 2 * math.pi * (k + rng.random() * 0.6) / n + i
                droop = math.radians(rng.uniform(10, 30))
                m = (Matrix.Translation((math.cos(ang) * r * 0.5, math.sin(ang) * r * 0.5, z))
                     @ Matrix.Rotation(ang, 4, "Z") @ Matrix.Rotation(droop, 4, "Y")
                     @ Matrix.Diagonal((r * 0.6, r * 0.3, r * 0.14, 1.0)))
                geom = bmesh.ops.create_icosphere(bm, subdivisions=2, radius=1.0, matrix=m)
                for v in geom["verts"]:
                    v.co += Vector([rng.uniform(-0.08, 0.08) * r for _ in range(3)])
                for f in {f for v in geom["verts"] for f in v.link_faces}:
                    f.material_index = 1
        geom = bmesh.ops.create_cone(bm, cap_ends=True, segments=8, radius1=0.05,
                                     radius2=0.0, depth=0.12)
        for v in geom["verts"]:
            v.co.z += 0.94
        for f in {f for v in geom["verts"] for f in v.link_faces}:
            f.material_index = 1
    me = _mesh(name, fill)
    me.materials.append(bark)
    me.materials.append(leaves)
    return link(name, me, None, smooth=True)


def scatter(proto: bpy.types.Object, rng: random.Random, count: int,
            where: Callable[[random.Random], tuple[float, float] | None],
            height: Callable[[float, float], float], size: tuple[float, float],
            squash: float = 0.15, aspect: float = 1.0) -> None:
    """Linked clones of `proto` at points drawn by `where` (None = reject),
    standing on `height`, with random size, heading and slight lean."""
    for _ in range(count):
        p = where(rng)
        if p is None:
            continue
        s = rng.uniform(*size)
        w = s * aspect * rng.uniform(1 - squash, 1 + squash)
        clone(proto, (p[0], p[1], height(*p) - 0.05 * s),
              (rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(0, 360)), (w, w, s))


@dataclass(frozen=True)
class Part:
    """One box of a compound mesh: base centre, size, material slot and a
    per-box number the shader can read as attribute 'tag' (colour pick)."""

    loc: tuple[float, float, float]
    size: tuple[float, float, float]
    mat: int = 0
    tag: float = 0.0


def compound(name: str, parts: Sequence[Part], mats: Sequence[bpy.types.Material],
             loc: Sequence[float] = (0, 0, 0), rot_z: float = 0.0) -> bpy.types.Object:
    """Many boxes in one mesh (shelves full of books, racks, desks): one
    object keeps scene setup fast and clones of it are instanced."""
    def fill(bm: bmesh.types.BMesh) -> None:
        tag = bm.faces.layers.float.new("tag")
        for p in parts:
            m = (Matrix.Translation((p.loc[0], p.loc[1], p.loc[2] + p.size[2] / 2))
                 @ Matrix.Diagonal((*p.size, 1.0)))
            geom = bmesh.ops.create_cube(bm, size=1.0, matrix=m)
            for f in {f for v in geom["verts"] for f in v.link_faces}:
                f.material_index = p.mat
                f[tag] = p.tag
    me = _mesh(name, fill)
    for m in mats:
        me.materials.append(m)
    return link(name, me, None, loc, (0, 0, rot_z))


def tag(g: Graph) -> bpy.types.NodeSocket:
    return out(g.node("ShaderNodeAttribute", {"attribute_name": "tag"}), "Factor")


def rain(cam: bpy.types.Object, layers: Sequence[float] = (2.5, 6.0, 14.0),
         strength: float = 0.35) -> None:
    """Falling rain: a few transparent sheets across the view at growing
    distances, each with thin, slightly slanted streaks."""
    fov = cam.data.angle
    for i, dist in enumerate(layers):
        half = math.tan(fov / 2) * dist * 1.05

        def build(g: Graph, i: int = i, half: float = half) -> Value:
            p = g.coord("Object")
            x, y, _ = g.xyz(p)
            x = g.math("ADD", x, g.math("MULTIPLY", y, 0.08))      # wind slant
            cells = g.voronoi(g.vec(g.math("MULTIPLY", x, 90.0 / half),
                                    g.math("MULTIPLY", y, 2.2 / half), 0.0),
                              1.0, seed=3.0 + i, dims="2D")
            streak = g.remap(out(cells, "Distance"), 0.06, 0.0)
            keep = g.math("GREATER_THAN", g.xyz(out(cells, "Color"))[0], 0.55)
            a = g.math("MULTIPLY", g.math("MULTIPLY", streak, keep), strength)
            return g.mixsh(a, g.node("ShaderNodeBsdfTransparent"), g.emit((0.8, 0.85, 0.9), 1.0))

        me = _mesh("rain", lambda bm, h=half: bmesh.ops.create_grid(bm, x_segments=1,
                                                                    y_segments=1, size=h))
        mat = material(f"rain{i}", build)
        mat["nofog"] = True
        ob = link(f"rain{i}", me, mat)
        ob.parent = cam
        ob.location = (0, 0, -dist)
        ob.visible_shadow = False
        ob.visible_diffuse = False
        ob.visible_glossy = False


def fbm(x: float, y: float, scale: float, octaves: int = 6, rough: float = 0.5,
        seed: float = 0.0, z: float = 0.0) -> float:
    """Fractal noise in about [-1, 1] at world position (x, y)."""
    return noise.fractal((x / scale + seed * 17.3, y / scale - seed * 9.1, z + seed),
                         1.0 - rough, 2.0, octaves, noise_basis="PERLIN_NEW") * 0.7


def ridged(x: float, y: float, scale: float, octaves: int = 7, seed: float = 0.0) -> float:
    """Ridged multifractal in about [0, 1]: sharp crests like mountain ranges."""
    return noise.ridged_multi_fractal((x / scale + seed * 11.7, y / scale + seed * 5.3, seed),
                                      0.9, 2.0, octaves, 1.0, 2.0,
                                      noise_basis="PERLIN_NEW") / 2.2


def smoothstep(a: float, b: float, x: float) -> float:
    t = min(max((x - a) / (b - a), 0.0), 1.0)
    return t * t * (3 - 2 * t)


# --------------------------------------------------------------------------
# Camera, lights, render
# --------------------------------------------------------------------------


def camera(loc: Sequence[float], target: Sequence[float], lens: float = 32.0) -> bpy.types.Object:
    cam = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
    cam.data.lens = lens
    cam.data.clip_end = 100000.0
    cam.location = loc
    cam.rotation_euler = (Vector(target) - Vector(loc)).to_track_quat("-Z", "Y").to_euler()
    bpy.context.scene.collection.objects.link(cam)
    bpy.context.scene.camera = cam
    return cam


def sun_lamp(elev: float, azim: float, strength: float, color: Color = (1, 1, 1),
             angle: float = 1.0) -> bpy.types.Object:
    lamp = bpy.data.lights.new("Sun", "SUN")
    lamp.energy = strength
    lamp.color = color
    lamp.angle = math.radians(angle)
    ob = bpy.data.objects.new("Sun", lamp)
    ob.rotation_euler = sun_vector(elev, azim).to_track_quat("Z", "Y").to_euler()
    bpy.context.scene.collection.objects.link(ob)
    return ob


def area_lamp(loc: Sequence[float], size: Sequence[float], power: float,
              color: Color = (1, 1, 1), target: Sequence[float] | None = None,
              spread: float = 180.0) -> bpy.types.Object:
    """Rectangular area light facing down (or towards `target`)."""
    lamp = bpy.data.lights.new("Area", "AREA")
    lamp.shape = "RECTANGLE"
    lamp.size, lamp.size_y = size
    lamp.energy = power
    lamp.color = color
    lamp.spread = math.radians(spread)
    ob = bpy.data.objects.new("Area", lamp)
    ob.location = loc
    if target is not None:
        ob.rotation_euler = (Vector(loc) - Vector(target)).to_track_quat("Z", "Y").to_euler()
    bpy.context.scene.collection.objects.link(ob)
    return ob


def point_lamp(loc: Sequence[float], power: float, color: Color = (1, 1, 1),
               radius: float = 0.1) -> bpy.types.Object:
    lamp = bpy.data.lights.new("Point", "POINT")
    lamp.energy = power
    lamp.color = color
    lamp.shadow_soft_size = radius
    ob = bpy.data.objects.new("Point", lamp)
    ob.location = loc
    bpy.context.scene.collection.objects.link(ob)
    return ob


def grade(exposure: float = 0.0, look: str = "AgX - Base Contrast") -> None:
    vs = bpy.context.scene.view_settings
    vs.exposure = exposure
    vs.look = look


def reset() -> None:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    sc = bpy.context.scene
    _SKY.clear()
    sc.render.engine = "CYCLES"
    sc.view_settings.view_transform = "AgX"
    grade()


def render(path: Path, size: int, samples: int) -> None:
    """Render the current scene to `path` (JPEG) via a temporary name, so an
    interrupted run never leaves a half-written image behind."""
    sc = bpy.context.scene
    cy = sc.cycles
    cy.device = "CPU"
    cy.samples = samples
    cy.use_adaptive_sampling = True
    cy.adaptive_threshold = 0.03
    cy.use_denoising = True
    cy.denoiser = "OPENIMAGEDENOISE"
    cy.denoising_input_passes = "RGB_ALBEDO_NORMAL"
    cy.seed = 7
    # Short paths keep two CPU cores fast; caustics only add fireflies.
    cy.max_bounces = 4
    cy.diffuse_bounces = 2
    cy.glossy_bounces = 2
    cy.transmission_bounces = 2
    cy.volume_bounces = 0
    cy.transparent_max_bounces = 4
    cy.caustics_reflective = False
    cy.caustics_refractive = False
    cy.sample_clamp_indirect = 5.0
    r = sc.render
    r.resolution_x = r.resolution_y = size
    r.resolution_percentage = 100
    r.use_stamp = False
    r.use_compositing = False
    r.use_sequencer = False
    r.image_settings.file_format = "JPEG"
    r.image_settings.color_mode = "RGB"
    r.image_settings.quality = 88
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.jpg")
    r.filepath = str(tmp)
    bpy.ops.render.render(write_still=True)
    os.replace(tmp, path)


# --------------------------------------------------------------------------
# Shared materials
# --------------------------------------------------------------------------


def bark(name: str = "bark", color: Color = (0.16, 0.11, 0.08)) -> bpy.types.Material:
    def build(g: Graph) -> Value:
        p = g.scale(g.coord("Object"), (6.0, 6.0, 0.6))   # furrows run along the trunk
        n = g.noise(p, 8.0, 6, 0.6, 1.0)
        col = g.mix(out(n, "Factor"), [c * 0.5 for c in color], color)
        return g.bsdf(col, 0.9, g.bump(out(n, "Factor"), 0.6, 0.02))
    return material(name, build)


def foliage(name: str, dark: Color, light: Color, snow: float = 0.0) -> bpy.types.Material:
    """Needles: clumpy noise colour and bump; `snow` > 0 whitens up-facing parts."""
    def build(g: Graph) -> Value:
        p = g.coord("Object")
        n = g.noise(p, 18.0, 5, 0.7, 0.6)
        fine = g.noise(p, 90.0, 3, 0.6)
        col = g.mix(out(n, "Factor"), dark, light)
        rand = out(g.node("ShaderNodeObjectInfo"), "Random")
        col = g.mix(g.math("MULTIPLY", rand, 0.5), col, [c * 0.6 for c in dark])
        b = g.bump(out(n, "Factor"), 0.8, 0.05)
        b = g.bump(out(fine, "Factor"), 0.6, 0.01, normal=b)
        if snow:
            up = g.xyz(g.geo("Normal"))[2]
            cover = g.remap(g.math("ADD", up, g.math("MULTIPLY", out(n, "Factor"), 0.6)),
                            1.1 - snow, 1.3 - snow, smooth=True)
            col = g.mix(cover, col, (0.85, 0.88, 0.95))
        return g.bsdf(col, 0.8, b)
    return material(name, build)


def water(g: Graph, deep: Color, swell: float = 1.0) -> Value:
    """Open water: three octaves of wave normals (swell, chop, ripples) on a
    clear, glossy surface that mostly shows the sky it reflects."""
    p = g.coord("Object")
    big = g.noise(g.scale(p, (0.5, 1.0, 1.0)), 0.045, 3, 0.5, 0.5)
    chop = g.noise(g.scale(p, (0.6, 1.0, 1.0)), 0.5, 4, 0.55, 0.8)
    fine = g.noise(p, 5.0, 2)
    b = g.bump(out(big, "Factor"), 0.5 * swell, 3.0)
    b = g.bump(out(chop, "Factor"), 0.35 * swell, 0.25, normal=b)
    b = g.bump(out(fine, "Factor"), 0.15, 0.02, normal=b)
    return g.bsdf(deep, 0.03, b, IOR=1.33, Specular_IOR_Level=0.6)


def wood(name: str, light: Color, dark: Color, scale: float = 1.0, rough: float = 0.45,
         axis: str = "X") -> bpy.types.Material:
    """Varnished wood: distorted wave bands for grain, noise for figure."""
    def build(g: Graph) -> Value:
        p = g.geo("Position")
        stretch = {"X": (0.15, 3.0, 3.0), "Y": (3.0, 0.15, 3.0), "Z": (3.0, 3.0, 0.15)}[axis]
        grain = g.wave(g.scale(p, [v * scale for v in stretch]), 2.0, 6.0, 4,
                       axis={"X": "Y", "Y": "X", "Z": "X"}[axis])
        fig = g.noise(p, 3.0 * scale, 4)
        col = g.mix(g.math("ADD", g.math("MULTIPLY", out(grain, "Factor"), 0.7),
                           g.math("MULTIPLY", out(fig, "Factor"), 0.3)), dark, light)
        return g.bsdf(col, rough, g.bump(out(grain, "Factor"), 0.1, 0.005))
    return material(name, build)


def plaster(name: str, color: Color, rough: float = 0.8) -> bpy.types.Material:
    """Painted wall: faint large-scale mottling so it never reads as flat CG."""
    def build(g: Graph) -> Value:
        p = g.geo("Position")
        n = g.noise(p, 0.8, 5, 0.6)
        col = g.mix(g.math("MULTIPLY", out(n, "Factor"), 0.25), color,
                    [c * 0.8 for c in color])
        return g.bsdf(col, rough, g.bump(out(g.noise(p, 30.0, 3), "Factor"), 0.05, 0.01))
    return material(name, build)


def daylight_window(name: str = "window", strength: float = 3.0, pane: float = 0.9,
                    axis: str = "X") -> bpy.types.Material:
    """Window seen from inside: bright sky gradient behind a mullion grid."""
    def build(g: Graph) -> Value:
        p = g.geo("Position")
        x, y, z = g.xyz(p)
        u = x if axis == "X" else y

        def bar(v: Value, size: float) -> Value:
            f = g.math("FRACT", g.math("DIVIDE", v, size))
            return g.remap(g.math("ABSOLUTE", g.math("SUBTRACT", f, 0.5)), 0.46, 0.48)

        frame = g.math("MAXIMUM", bar(u, pane), bar(z, pane * 1.3))
        view = g.ramp(g.math("DIVIDE", z, 6.0), [(0.0, (0.85, 0.88, 0.85)),
                                                 (1.0, (0.6, 0.75, 1.0))])
        return g.mixsh(frame, g.emit(view, strength), g.bsdf((0.85, 0.85, 0.83), 0.4))
    return material(name, build, glows=True)


# --------------------------------------------------------------------------
# Scene registry
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    group: str
    name: str
    about: str
    build: Callable[[random.Random], None]


SCENES: list[Scene] = []


def scene(group: str, about: str) -> Callable[[Callable[[random.Random], None]], Callable]:
    def register(fn: Callable[[random.Random], None]) -> Callable:
        SCENES.append(Scene(group, fn.__name__, about, fn))
        return fn
    return register


# ==========================================================================
# Set 1
# ==========================================================================


@scene("set1", "Wind-rippled sand dunes under a low sunset sun")
def desert_dunes(rng: random.Random) -> None:
    elev, azim = 4.5, 105.0
    world(lambda g: sky(g, Sky(elev, azim, aerosol=2.5)))
    sun_lamp(elev, azim, 5.0, (1.0, 0.75, 0.5), angle=0.6)

    def sand(g: Graph) -> Value:
        p = g.coord("Object")
        tone = g.noise(p, 0.02, 4, 0.6, seed=3)
        col = g.ramp(out(tone, "Factor"), [(0.35, (0.72, 0.38, 0.14)), (0.65, (0.85, 0.52, 0.24))])
        # Wind ripples: distorted bands ~0.4 m apart across the dune faces.
        rip = g.wave(g.scale(p, (1.0, 0.3, 1.0)), 2.2, distort=6.0, detail=3, detail_scale=0.4)
        grain = g.noise(p, 40.0, 2)
        b = g.bump(out(rip, "Factor"), 0.25, 0.05)
        b = g.bump(out(grain, "Factor"), 0.05, 0.01, normal=b)
        return g.bsdf(col, 0.9, b)

    s = rng.random() * 10

    def height(x: float, y: float) -> float:
        n = noise.noise((x / 95 + s, y / 170 + 0.3 * fbm(x, y, 300, 2, seed=s), s))
        # Slightly rounded |n|: a knife-edge crest would show the mesh grid.
        crest = 1.0 - math.sqrt(n * n + 0.0015)
        return 28 * crest ** 2.5 + 10 * fbm(x, y, 260, 4, seed=s + 1) - 10

    mat = material("sand", sand)
    terrain("dunes", mat, 1200, 640, height, loc=(0, 420, 0))
    ground(mat, -30)
    camera((0, -120, 30), (10, 200, -8), lens=30)
    add_fog(0.0006, start=100)
    grade(0.0, "AgX - Punchy")


@scene("set1", "Alpine meadow with wild flowers, spruces and snow-capped peaks")
def alpine_meadow(rng: random.Random) -> None:
    elev, azim = 38.0, 140.0
    sun = sun_vector(elev, azim)
    world(lambda g: cloud_deck(g, sky(g, Sky(elev, azim)),
                               Clouds(cover=0.42, scale=1.6, lit=(1.25, 1.25, 1.22),
                                      shade=(0.55, 0.6, 0.7), seed=2.0), sun))
    sun_lamp(elev, azim, 3.5, (1.0, 0.95, 0.88))
    s = rng.random() * 10

    def height(x: float, y: float) -> float:
        far = smoothstep(500, 2200, math.hypot(x, y + 100))
        hills = 14 * fbm(x, y, 220, 5, seed=s)
        peaks = 620 * ridged(x, y, 1300, 8, seed=s) * far
        return hills + peaks

    def land(g: Graph) -> Value:
        p = g.coord("Object")
        z = g.xyz(g.geo("Position"))[2]
        up = g.xyz(g.geo("Normal"))[2]
        var = g.noise(p, 0.05, 5, 0.6)
        tuft = g.noise(p, 1.5, 6, 0.7)
        grass = g.ramp(g.math("ADD", out(var, "Factor"), g.math("MULTIPLY", out(tuft, "Factor"), 0.4)),
                       [(0.4, (0.06, 0.14, 0.02)), (0.6, (0.16, 0.28, 0.04)),
                        (0.8, (0.34, 0.38, 0.08))])
        # Flowers: small voronoi cells, a few of them tinted.
        fl = g.voronoi(p, 6.0, seed=1)
        fcol = out(fl, "Color")
        pick = g.remap(g.xyz(fcol)[0], 0.88, 0.9)
        petal = g.ramp(g.xyz(fcol)[1], [(0.0, (0.85, 0.8, 0.2)), (0.5, (0.9, 0.9, 0.9)),
                                         (1.0, (0.6, 0.3, 0.7))], "CONSTANT")
        grass = g.mix(g.math("MULTIPLY", pick, g.remap(out(fl, "Distance"), 0.25, 0.15)),
                      grass, petal)
        rock = g.ramp(out(g.noise(p, 0.08, 6, 0.6), "Factor"),
                      [(0.3, (0.22, 0.21, 0.2)), (0.7, (0.45, 0.43, 0.4))])
        steep = g.remap(g.math("ADD", up, g.math("MULTIPLY", out(var, "Factor"), 0.2)),
                        0.9, 0.82, smooth=True)
        col = g.mix(steep, grass, rock)
        snowline = g.math("ADD", z, g.math("MULTIPLY", out(var, "Factor"), 160))
        snow = g.math("MULTIPLY", g.remap(snowline, 330, 380, smooth=True),
                      g.remap(up, 0.45, 0.65, smooth=True))
        col = g.mix(snow, col, (0.9, 0.92, 0.97))
        b = g.bump(out(tuft, "Factor"), 0.6, 0.3)
        return g.bsdf(col, 0.85, b)

    mat = material("land", land)
    terrain("land", mat, 6000, 760, height, loc=(0, 2000, 0))
    ground(mat, -40)
    tree = conifer("spruce", bark(), foliage("needles", (0.02, 0.06, 0.02), (0.06, 0.12, 0.04)),
                   rng, tiers=11, width=0.26)

    def spot(r: random.Random) -> tuple[float, float] | None:
        x, y = r.uniform(-500, 500), r.uniform(40, 900)
        return (x, y) if fbm(x, y, 160, 3, seed=s + 5) > 0.05 else None

    scatter(tree, rng, 3000, spot, height, (9, 22))
    camera((0, -60, height(0, -60) + 3), (0, 400, 30), lens=28)
    add_fog(0.00018, start=150)
    grade(0.0, "AgX - Punchy")


@scene("set1", "Dense spruce forest: moss and needle litter, tall trunks fading into haze")
def pine_forest(rng: random.Random) -> None:
    elev, azim = 34.0, 200.0
    world(lambda g: sky(g, Sky(elev, azim, aerosol=3.0)))
    sun_lamp(elev, azim, 4.0, (1.0, 0.88, 0.68))
    s = rng.random() * 10

    def height(x: float, y: float) -> float:
        return 4 * fbm(x, y, 70, 4, seed=s)

    def floor(g: Graph) -> Value:
        p = g.coord("Object")
        moss = g.noise(p, 0.22, 6, 0.65)
        litter = g.voronoi(g.scale(p, (1.0, 3.0, 1.0)), 9.0, seed=2)
        twig = g.remap(out(litter, "Distance"), 0.0, 0.3)
        col = g.ramp(out(moss, "Factor"), [(0.3, (0.11, 0.07, 0.035)), (0.42, (0.2, 0.12, 0.06)),
                                           (0.5, (0.09, 0.15, 0.03)), (0.7, (0.2, 0.3, 0.05))])
        col = g.mix(g.math("MULTIPLY", twig, 0.6), (0.05, 0.03, 0.02), col)
        b = g.bump(twig, 0.5, 0.03)
        b = g.bump(out(moss, "Factor"), 0.3, 0.3, normal=b)
        return g.bsdf(col, 0.9, b)

    mat = material("floor", floor)
    terrain("floor", mat, 700, 350, height, loc=(0, 250, 0))
    ground(mat, -10)
    trunk = bark()
    needles = foliage("needles", (0.012, 0.035, 0.014), (0.04, 0.085, 0.03))
    tall = [conifer(f"spruce{i}", trunk, needles, rng, tiers=14, bare=0.45 + 0.1 * i, width=0.17)
            for i in range(2)]
    young = conifer("young", trunk, foliage("young", (0.02, 0.06, 0.02), (0.06, 0.14, 0.04)),
                    rng, tiers=8, bare=0.08, width=0.3)

    def spot(r: random.Random) -> tuple[float, float] | None:
        x, y = r.uniform(-200, 200), r.uniform(-15, 480)
        return (x, y) if math.hypot(x * 1.5, y + 4) > 12 else None

    for t in tall:
        scatter(t, rng, 700, spot, height, (24, 36))
    scatter(young, rng, 300, spot, height, (1.5, 6))
    fern = sphere("fern", foliage("fern", (0.04, 0.12, 0.02), (0.14, 0.28, 0.05)),
                  (0, 0, -100), 1.0, 2)
    scatter(fern, rng, 700, lambda r: (r.uniform(-70, 70), r.uniform(0, 200)), height,
            (0.25, 0.5), squash=0.4, aspect=2.5)
    log = cylinder("log", trunk, (0, 0, -100), 0.3, 1.0, segments=12)
    for _ in range(14):
        x, y = rng.uniform(-30, 30), rng.uniform(4, 80)
        clone(log, (x, y, height(x, y) + 0.15), (90, 0, rng.uniform(0, 180)),
              (1, 1, rng.uniform(5, 12)))
    camera((0, -6, height(0, -6) + 1.7), (0, 60, 4), lens=22)
    add_fog(0.014, (0.38, 0.47, 0.42), start=3)
    grade(0.2, "AgX - Punchy")


@scene("set1", "Red sandstone canyon with layered walls under a clear sky")
def red_canyon(rng: random.Random) -> None:
    elev, azim = 42.0, 120.0
    sun = sun_vector(elev, azim)
    world(lambda g: cloud_deck(g, sky(g, Sky(elev, azim, aerosol=0.6)),
                               Clouds(cover=0.32, scale=1.0, stretch=2.5, seed=5.0), sun))
    sun_lamp(elev, azim, 3.5, (1.0, 0.93, 0.82))
    s = rng.random() * 10

    def height(x: float, y: float) -> float:
        centre = 120 * math.sin(y / 260 + s) + 60 * fbm(x, y, 300, 3, seed=s)
        d = abs(x - centre) + 25 * fbm(x, y, 80, 4, seed=s + 2)
        depth = smoothstep(20, 190, d)
        # Terraces: hard rock layers form ledges, soft ones slopes between.
        steps = 5
        t = depth * steps
        terr = (math.floor(t) + smoothstep(0.55, 1.0, t - math.floor(t))) / steps
        return 150 * terr + 12 * fbm(x, y, 40, 5, seed=s + 3) - 150 + 60 * ridged(x, y, 900, 3, s)

    def rock(g: Graph) -> Value:
        p = g.coord("Object")
        z = g.xyz(g.geo("Position"))[2]
        up = g.xyz(g.geo("Normal"))[2]
        warp = g.noise(p, 0.03, 4, 0.6)
        layers = g.math("ADD", z, g.math("MULTIPLY", out(warp, "Factor"), 12))
        # Strata: 1-D noise up the height gives beds of uneven thickness.
        band = g.noise(g.vec(0.0, 0.0, layers), 0.12, 3, 0.55)
        col = g.ramp(out(band, "Factor"), [(0.3, (0.42, 0.15, 0.07)), (0.42, (0.58, 0.25, 0.11)),
                                           (0.52, (0.66, 0.38, 0.2)), (0.6, (0.5, 0.2, 0.09)),
                                           (0.7, (0.72, 0.5, 0.32))])
        grit = g.noise(p, 1.5, 8, 0.65)
        col = g.mix(g.math("MULTIPLY", out(grit, "Factor"), 0.5), col, (0.25, 0.12, 0.07),
                    "MULTIPLY")
        flat = g.remap(up, 0.8, 0.93, smooth=True)
        sand = g.ramp(out(grit, "Factor"), [(0.3, (0.45, 0.22, 0.11)), (0.7, (0.6, 0.33, 0.17))])
        brush = g.remap(out(g.noise(p, 0.4, 3), "Factor"), 0.55, 0.6)
        sand = g.mix(g.math("MULTIPLY", brush, 0.8), sand, (0.2, 0.22, 0.1))
        col = g.mix(flat, col, sand)
        b = g.bump(out(grit, "Factor"), 0.6, 0.3)
        return g.bsdf(col, 0.9, b)

    mat = material("rock", rock)
    terrain("canyon", mat, 3200, 800, height, loc=(0, 1300, 0))
    ground(mat, -300)
    x0 = 120 * math.sin(-150 / 260 + s)
    camera((x0 + 170, -150, height(x0 + 170, -150) + 25), (x0 - 40, 500, -60), lens=26)
    add_fog(0.00012, start=300)
    grade(-0.2, "AgX - Punchy")


@scene("set1", "Milky Way and a dense star field over a dark mountain ridge and lake")
def galaxy_night(rng: random.Random) -> None:
    def night(g: Graph) -> Value:
        x, y, z = dirs(g)
        d = g.coord("Generated")
        base = g.ramp(z, [(0.0, (0.03, 0.035, 0.05)), (0.3, (0.006, 0.009, 0.022)),
                          (1.0, (0.002, 0.003, 0.01))])
        # Milky Way: a soft band around a tilted great circle whose glow is
        # finely mottled and cut by dark dust lanes along its middle.
        axis = Vector((0.62, -0.3, 0.72)).normalized()
        lat = g.vmath("DOT_PRODUCT", d, axis)
        wob = g.math("MULTIPLY", g.math("SUBTRACT", out(g.noise(d, 2.0, 3, seed=9), "Factor"),
                                        0.5), 0.1)
        lat = g.math("ADD", lat, wob)
        band = g.math("EXPONENT", g.math("MULTIPLY", g.math("POWER", lat, 2.0), -45.0))
        mottle = g.noise(d, 25.0, 6, 0.6, seed=3)
        glow = g.math("MULTIPLY", band, g.remap(out(mottle, "Factor"), 0.3, 0.7, 0.4, 1.0))
        dust = g.noise(d, 7.0, 8, 0.6, 1.5, seed=7)
        lane = g.math("MULTIPLY", g.remap(out(dust, "Factor"), 0.55, 0.45, smooth=True),
                      g.math("EXPONENT", g.math("MULTIPLY", g.math("POWER", lat, 2.0), -300.0)))
        glow = g.math("MULTIPLY", glow, g.math("SUBTRACT", 1.0, g.math("MULTIPLY", lane, 0.85)))
        tint = g.ramp(out(g.noise(d, 3.0, 3, seed=5), "Factor"),
                      [(0.35, (0.45, 0.5, 0.7)), (0.55, (0.8, 0.72, 0.62)), (0.7, (0.9, 0.7, 0.55))])
        col = g.mix(g.math("MULTIPLY", glow, 0.14), base, tint, "ADD")
        # Stars a few pixels wide (smaller ones would be denoised away); many
        # more inside the band.
        stars = g.mix(1.0, star_field(g, 90.0, 1.0, 0.1, 6.0), star_field(g, 45.0, 2.0, 0.06, 25.0),
                      "ADD")
        dense = star_field(g, 160.0, 3.0, 0.12, 4.0)
        stars = g.mix(1.0, stars, g.mix(1.0, dense, g.math("MULTIPLY", glow, 1.5), "MULTIPLY"),
                      "ADD")
        col = g.mix(1.0, col, stars, "ADD")
        airglow = g.remap(z, 0.15, 0.0, smooth=True)
        col = g.mix(g.math("MULTIPLY", airglow, 0.1), col, (0.35, 0.45, 0.3), "ADD")
        return col

    world(night, importance=False)
    sun_lamp(20, 200, 0.02, (0.6, 0.7, 1.0), angle=3.0)   # faint starlight on the ridge
    s = rng.random() * 10

    def height(x: float, y: float) -> float:
        return 240 * ridged(x, y, 700, 7, seed=s) * smoothstep(300, 900, y) + 5 * fbm(x, y, 40)

    def land(g: Graph) -> Value:
        n = g.noise(g.coord("Object"), 0.1, 6)
        return g.bsdf(g.mix(out(n, "Factor"), (0.02, 0.025, 0.03), (0.06, 0.06, 0.07)), 0.9)

    mat = material("land", land)
    terrain("ridge", mat, 4000, 500, height, loc=(0, 1800, 0))
    # A still lake mirrors the sky between the camera and the ridge.
    ground(material("lake", lambda g: g.bsdf((0.0, 0.0, 0.0), 0.02, g.bump(
        out(g.noise(g.coord("Object"), 0.3, 2), "Factor"), 0.02, 0.2))), 7.0)
    camera((0, -200, 10), (0, 800, 640), lens=20)
    grade(0.8, "AgX - Punchy")


@scene("set1", "Snowfield with wind-carved drifts, frosted spruces and low winter sun")
def snowy_field(rng: random.Random) -> None:
    elev, azim = 8.0, 240.0
    world(lambda g: sky(g, Sky(elev, azim, aerosol=0.3, ozone=2.0)))
    sun_lamp(elev, azim, 4.5, (1.0, 0.86, 0.7))
    s = rng.random() * 10

    def height(x: float, y: float) -> float:
        far = smoothstep(700, 2500, math.hypot(x, y))
        return 10 * fbm(x, y, 260, 5, seed=s) + 520 * ridged(x, y, 1100, 7, seed=s) * far

    def snow(g: Graph) -> Value:
        p = g.coord("Object")
        up = g.xyz(g.geo("Normal"))[2]
        drift = g.noise(g.scale(p, (0.4, 1.0, 1.0)), 0.3, 6, 0.55, 1.5)
        fine = g.noise(p, 6.0, 4)
        rock = g.ramp(out(g.noise(p, 0.05, 6, 0.6), "Factor"),
                      [(0.4, (0.1, 0.1, 0.11)), (0.6, (0.3, 0.3, 0.32))])
        bare = g.remap(up, 0.6, 0.5, smooth=True)
        col = g.mix(bare, (0.86, 0.9, 0.97), rock)
        b = g.bump(out(drift, "Factor"), 0.4, 1.0)
        b = g.bump(out(fine, "Factor"), 0.1, 0.02, normal=b)
        return g.bsdf(col, 0.55, b, Specular_IOR_Level=0.3)

    mat = material("snow", snow)
    terrain("snowfield", mat, 6000, 760, height, loc=(0, 2200, 0))
    ground(mat, -40)
    tree = conifer("fir", bark(), foliage("frosted", (0.02, 0.05, 0.03), (0.05, 0.1, 0.05),
                                          snow=0.45), rng, tiers=11, width=0.26)

    def spot(r: random.Random) -> tuple[float, float] | None:
        x, y = r.uniform(-500, 500), r.uniform(-20, 900)
        return (x, y) if fbm(x, y, 120, 3, seed=s + 4) > 0.1 and abs(x) > 15 else None

    scatter(tree, rng, 2500, spot, height, (7, 16))
    camera((0, -80, height(0, -80) + 12), (0, 400, 10), lens=28)
    add_fog(0.00018, start=200)
    grade(-0.2, "AgX - Punchy")


@scene("set1", "Volcanic field at dusk: black basalt, glowing cracks and a lava river")
def lava_field(rng: random.Random) -> None:
    elev, azim = -3.0, 10.0

    def smoke(g: Graph) -> Value:
        base = sky(g, Sky(elev, azim, aerosol=6.0, gain=1.5))
        glow = g.remap(dirs(g)[2], 0.25, 0.0, smooth=True)
        base = g.mix(g.math("MULTIPLY", glow, 0.6), base, (0.6, 0.16, 0.04), "ADD")
        # Smoke: a soft, wind-streaked deck lit red from below.
        return cloud_deck(g, base, Clouds(cover=0.55, scale=0.5, lit=(0.35, 0.12, 0.06),
                                          shade=(0.03, 0.025, 0.03), soft=0.5, stretch=2.5,
                                          detail=8, seed=4.0, opacity=0.9))

    world(smoke)
    s = rng.random() * 10

    def centre(y: float) -> float:
        return 18 * math.sin(y / 60 + s) + 8 * math.sin(y / 23)

    def height(x: float, y: float) -> float:
        d = abs(x - centre(y))
        bank = smoothstep(6, 20, d)
        far = smoothstep(400, 1600, math.hypot(x, y))
        lumps = 1.8 * ridged(x, y, 9, 5, s) + 3 * fbm(x, y, 40, 5, seed=s)
        return 1.5 * bank + lumps * (0.3 + 0.7 * bank) + 380 * ridged(x, y, 900, 6, s) * far - 1.5

    def basalt(g: Graph) -> Value:
        p = g.coord("Object")
        z = g.xyz(g.geo("Position"))[2]
        warp = g.noise(p, 0.15, 4)
        wp = g.vmath("ADD", p, g.scale(out(warp, "Color"), (3.0, 3.0, 3.0)))
        cracks = g.voronoi(wp, 0.6, "DISTANCE_TO_EDGE", seed=2)
        heat = g.remap(out(cracks, "Distance"), 0.018, 0.0)
        heat = g.math("MULTIPLY", heat, g.remap(out(warp, "Factor"), 0.56, 0.62))
        heat = g.math("MULTIPLY", heat, g.remap(z, 1.5, 0.0))
        n = g.noise(p, 1.2, 8, 0.7)
        col = g.ramp(out(n, "Factor"), [(0.3, (0.015, 0.014, 0.014)), (0.7, (0.07, 0.06, 0.055))])
        b = g.bump(out(n, "Factor"), 0.8, 0.15)
        glow = g.ramp(heat, [(0.0, (0.0, 0.0, 0.0)), (0.5, (1.0, 0.15, 0.01)),
                             (1.0, (1.0, 0.55, 0.12))])
        return g.bsdf(col, 0.7, b, Emission_Color=glow, Emission_Strength=8.0)

    def lava(g: Graph) -> Value:
        p = g.coord("Object")
        flow = g.noise(g.scale(p, (1.0, 0.3, 1.0)), 0.35, 8, 0.65, 2.0)
        crust = g.voronoi(g.scale(g.vmath("ADD", p, g.scale(out(flow, "Color"), (2.0, 2.0, 0.0))),
                                  (1.0, 0.6, 1.0)), 0.6, "DISTANCE_TO_EDGE")
        core = g.remap(g.math("ABSOLUTE", g.xyz(g.coord("UV"))[0]), 0.35, 0.0)
        hot = g.math("MAXIMUM", g.remap(out(crust, "Distance"), 0.08, 0.0),
                     g.math("MULTIPLY", core, g.remap(out(flow, "Factor"), 0.45, 0.6)))
        col = g.ramp(hot, [(0.0, (0.0, 0.0, 0.0)), (0.3, (0.5, 0.04, 0.0)),
                           (0.7, (1.0, 0.3, 0.02)), (1.0, (1.0, 0.7, 0.25))])
        plate = g.ramp(out(flow, "Factor"), [(0.3, (0.02, 0.015, 0.015)), (0.7, (0.08, 0.05, 0.04))])
        return g.bsdf(plate, 0.6, g.bump(out(flow, "Factor"), 0.5, 0.2),
                      Emission_Color=col, Emission_Strength=14.0)

    mat = material("basalt", basalt)
    terrain("field", mat, 3000, 800, height, loc=(0, 1000, 0))
    ground(mat, -10)

    def strip(bm: bmesh.types.BMesh) -> None:
        bmesh.ops.create_grid(bm, x_segments=6, y_segments=240, size=1.0)
        uv = bm.loops.layers.uv.new("UVMap")
        for f in bm.faces:
            for lp in f.loops:
                lp[uv].uv = (lp.vert.co.x, lp.vert.co.y)
        for v in bm.verts:      # bend the strip along the river's course
            y = (v.co.y + 1) * 260 - 40
            v.co.x = centre(y) + v.co.x * 9.0
            v.co.y = y
            v.co.z = -0.6 + 0.3 * fbm(v.co.x, y, 30, 2)

    link("lava", _mesh("lava", strip), material("lava", lava, glows=True))
    camera((12, -30, height(12, -30) + 6), (-2, 110, -4), lens=26)
    add_fog(0.002, (0.12, 0.045, 0.04), start=30)
    grade(0.2, "AgX - Punchy")


@scene("set1", "City skyline of lit office towers at dusk after sunset")
def city_dusk(rng: random.Random) -> None:
    elev, azim = -1.5, 20.0
    sun = sun_vector(4, azim)
    world(lambda g: cloud_deck(g, sky(g, Sky(elev, azim, aerosol=3.0, gain=0.9)),
                               Clouds(cover=0.35, scale=0.8, stretch=4.0, lit=(0.9, 0.45, 0.3),
                                      shade=(0.22, 0.16, 0.2), seed=8.0, opacity=0.9), sun))

    def facade(g: Graph) -> Value:
        p = g.geo("Position")
        x, y, z = g.xyz(p)
        rand = out(g.node("ShaderNodeObjectInfo"), "Random")
        # Window grid: 3.6 m storeys, 2.4 m bays along whichever wall we are on.
        along = g.math("ADD", x, y)
        fx = g.math("FRACT", g.math("DIVIDE", along, 2.4))
        fz = g.math("FRACT", g.math("DIVIDE", z, 3.6))
        win = g.math("MULTIPLY", g.remap(g.math("ABSOLUTE", g.math("SUBTRACT", fx, 0.5)), 0.3, 0.26),
                     g.remap(g.math("ABSOLUTE", g.math("SUBTRACT", fz, 0.55)), 0.25, 0.2))
        cell = g.vec(g.math("FLOOR", g.math("DIVIDE", along, 2.4)),
                     g.math("FLOOR", g.math("DIVIDE", z, 3.6)), g.math("MULTIPLY", rand, 100))
        lit = g.remap(out(g.white(cell), "Value"), 0.62, 0.64)
        warm = g.ramp(out(g.white(g.vmath("ADD", cell, (7.0, 3.0, 1.0))), "Value"),
                      [(0.0, (1.0, 0.62, 0.3)), (0.6, (1.0, 0.82, 0.55)), (1.0, (0.75, 0.85, 1.0))])
        wall = g.ramp(rand, [(0.0, (0.12, 0.12, 0.13)), (0.5, (0.3, 0.28, 0.26)),
                             (1.0, (0.18, 0.2, 0.24))])
        glass = g.mix(win, wall, (0.03, 0.04, 0.05))
        glow = g.mix(1.0, warm, g.math("MULTIPLY", win, lit), "MULTIPLY")
        up = g.xyz(g.geo("Normal"))[2]
        glow = g.mix(g.remap(up, 0.5, 0.9), glow, (0.0, 0.0, 0.0))
        return g.bsdf(glass, g.math("SUBTRACT", 0.7, g.math("MULTIPLY", win, 0.6)),
                      Emission_Color=glow, Emission_Strength=1.2)

    def street(g: Graph) -> Value:
        p = g.coord("Object")
        lamps = g.voronoi(p, 0.05, seed=3)
        dot = g.remap(out(lamps, "Distance"), 0.06, 0.0)
        return g.bsdf((0.03, 0.03, 0.035), 0.4, Emission_Color=(1.0, 0.6, 0.25),
                      Emission_Strength=g.math("MULTIPLY", dot, 3.0))

    ground(material("street", street), 0.0)
    mat = material("facade", facade)
    proto = box("tower", mat, (0, 0, -500), (1, 1, 1))
    for i in range(-14, 15):
        for j in range(-9, 40):
            x, y = i * 60.0 + rng.uniform(-6, 6), j * 60.0 + rng.uniform(-6, 6)
            centre = math.exp(-((x / 500) ** 2 + ((y - 900) / 700) ** 2))
            h = 12 + min(rng.lognormvariate(0, 0.5), 2.5) * (20 + 90 * centre)
            w, d = rng.uniform(22, 42), rng.uniform(22, 42)
            clone(proto, (x, y, 0), (0, 0, 0), (w, d, h))
            if h > 90 and rng.random() < 0.5:       # stepped crown on tall towers
                clone(proto, (x, y, h), (0, 0, 0), (w * 0.6, d * 0.6, h * 0.15))
    sun_lamp(2.0, azim, 0.6, (1.0, 0.55, 0.35))
    camera((-40, -700, 210), (30, 600, 40), lens=30)
    add_fog(0.0009, start=250, tint=(0.9, 0.85, 0.95))
    grade(0.3, "AgX - Punchy")


@scene("set1", "Moonlit stone castle wall and towers with torch-lit windows")
def castle_night(rng: random.Random) -> None:
    def night(g: Graph) -> Value:
        x, y, z = dirs(g)
        base = g.ramp(z, [(0.0, (0.05, 0.07, 0.12)), (0.35, (0.015, 0.025, 0.06)),
                          (1.0, (0.004, 0.008, 0.025))])
        d = g.coord("Generated")
        moon = g.vmath("DOT_PRODUCT", d, sun_vector(32, -35))
        halo = g.math("POWER", g.math("MAXIMUM", moon, 0.0), 60.0)
        disc = g.remap(moon, 0.99985, 0.9999)
        base = g.mix(g.math("MULTIPLY", halo, 0.25), base, (0.5, 0.6, 0.8), "ADD")
        base = g.mix(disc, base, (3.0, 3.0, 2.8))
        stars = star_field(g, 350, 4.0, 0.12, 3.0)
        base = g.mix(1.0, base, stars, "ADD")
        return cloud_deck(g, base, Clouds(cover=0.3, scale=0.9, stretch=2.5, lit=(0.1, 0.12, 0.17),
                                          shade=(0.02, 0.025, 0.04), seed=6.0, opacity=0.85),
                          sun_vector(32, -35))

    world(night)
    sun_lamp(32, -35, 0.25, (0.55, 0.65, 1.0), angle=0.5)

    def stone(g: Graph) -> Value:
        p = g.geo("Position")       # world metres: the boxes are scaled
        # Ashlar blocks on both faces of a wall: brick on (x + y, z).
        uv = g.vec(g.math("ADD", g.xyz(p)[0], g.xyz(p)[1]), g.xyz(p)[2], 0.0)
        jitter = g.noise(p, 0.8, 3)
        bk = g.brick(g.vmath("ADD", uv, g.scale(out(jitter, "Color"), (0.04, 0.04, 0.0))),
                     (0.33, 0.31, 0.28), (0.22, 0.21, 0.2), (0.09, 0.085, 0.08),
                     1.0, 0.025, 0.9, 0.45, 0.3)
        dirt = g.noise(p, 0.3, 6, 0.6)
        grain = g.noise(p, 6.0, 5, 0.6)
        col = g.mix(g.math("MULTIPLY", out(dirt, "Factor"), 0.8), out(bk, "Color"),
                    (0.12, 0.13, 0.09), "MULTIPLY")
        col = g.mix(g.math("MULTIPLY", out(grain, "Factor"), 0.35), col, (0.5, 0.48, 0.45))
        b = g.bump(g.math("SUBTRACT", 1.0, out(bk, "Factor")), 1.0, 0.05)
        b = g.bump(out(grain, "Factor"), 0.3, 0.02, normal=b)
        return g.bsdf(col, 0.85, b)

    def grass(g: Graph) -> Value:
        n = g.noise(g.coord("Object"), 0.4, 6, 0.65)
        col = g.ramp(out(n, "Factor"), [(0.3, (0.04, 0.06, 0.02)), (0.7, (0.09, 0.11, 0.04))])
        return g.bsdf(col, 0.9, g.bump(out(g.noise(g.coord("Object"), 8.0, 3), "Factor"), 0.5))

    def window(g: Graph) -> Value:
        n = g.noise(g.coord("Object"), 2.0, 2)
        col = g.ramp(out(n, "Factor"), [(0.3, (1.0, 0.45, 0.12)), (0.7, (1.0, 0.7, 0.3))])
        return g.emit(col, 6.0)

    st = material("stone", stone)
    s = rng.random() * 10

    def height(x: float, y: float) -> float:
        return 2.5 * fbm(x, y, 40, 4, seed=s) + 6 * smoothstep(10, 40, y)

    terrain("hill", material("grass", grass), 500, 250, height, loc=(0, 150, 0))
    base_z = height(0, 42)
    # Curtain wall with a walkway of merlons between two round towers.
    wall_y = 42.0
    box("wall", st, (0, wall_y, base_z - 2), (44, 4, 16))
    for k in range(-10, 11):
        box(f"merlon{k}", st, (k * 2.0, wall_y - 1.6, base_z + 14), (1.1, 0.8, 1.6))
    for tx in (-24.0, 24.0):
        cylinder("tower", st, (tx, wall_y, base_z - 2), 6.0, 26, segments=40)
        for k in range(12):
            a = 2 * math.pi * k / 12
            box("tmerlon", st, (tx + 5.6 * math.cos(a), wall_y + 5.6 * math.sin(a), base_z + 24),
                (1.2, 1.2, 1.8), rot_z=math.degrees(a))
    box("keep", st, (8, wall_y + 22, base_z + 2), (18, 14, 30))
    for k in range(-4, 5):
        box("kmerlon", st, (8 + k * 2.0, wall_y + 14.6, base_z + 32), (1.1, 0.8, 1.6))
    win = material("window", window)
    for (wx, wz) in ((-24, 12), (-24, 18), (24, 15), (3, 20), (13, 20), (8, 26)):
        wy = wall_y - 6.05 if abs(wx) > 20 else wall_y + 14.95
        box("window", win, (wx, wy, base_z + wz), (0.9, 0.3, 1.8))
    box("gate", flat("gate", (0.02, 0.015, 0.01)), (0, wall_y - 2.05, base_z), (5, 0.3, 6.5))
    for (lx, lz) in ((-4.0, 5.0), (4.0, 5.0), (-24, 6), (24, 6)):
        ly = wall_y - 3 if abs(lx) < 10 else wall_y - 7
        point_lamp((lx, ly, base_z + lz), 400, (1.0, 0.5, 0.15), 0.15)
    camera((-9, -8, height(-9, -8) + 1.6), (2, 42, base_z + 13), lens=24)
    add_fog(0.006, (0.03, 0.04, 0.07), start=20)
    grade(1.6, "AgX - Punchy")


@scene("set1", "Indoor sports hall: varnished maple court with painted lines, high windows")
def sports_hall(rng: random.Random) -> None:
    world(lambda g: (0.25, 0.3, 0.4), 0.3)
    L, W, H = 44.0, 26.0, 11.0

    def maple(g: Graph) -> Value:
        p = g.geo("Position")
        x, y, _ = g.xyz(p)
        # Planks run along x: 0.06 m wide strips of staggered length.
        planks = g.brick(g.vec(x, y, 0.0), (0.72, 0.48, 0.27), (0.62, 0.38, 0.2), (0.35, 0.2, 0.1),
                         1.0, 0.002, 1.8, 0.06, 0.4, offset=0.37, smooth=0.0)
        grain = g.wave(g.scale(p, (0.08, 4.0, 1.0)), 3.0, 8.0, 4, axis="Y")
        col = g.mix(g.math("MULTIPLY", out(grain, "Factor"), 0.25), out(planks, "Color"),
                    (0.45, 0.26, 0.12))
        # Court markings (no text): boundary, centre line and circle, keys.
        ax = g.math("ABSOLUTE", x)
        ay = g.math("ABSOLUTE", y)
        def band(v: Value, at: float) -> Value:
            return g.remap(g.math("ABSOLUTE", g.math("SUBTRACT", v, at)), 0.05, 0.03)
        r = g.math("SQRT", g.math("ADD", g.math("MULTIPLY", x, x), g.math("MULTIPLY", y, y)))
        inside = g.math("MULTIPLY", g.math("LESS_THAN", ax, 14.05), g.math("LESS_THAN", ay, 7.55))
        lines = g.math("MAXIMUM", band(ax, 14.0), band(ay, 7.5))
        lines = g.math("MULTIPLY", lines, inside)
        lines = g.math("MAXIMUM", lines, g.math("MULTIPLY", band(x, 0.0), g.math("LESS_THAN", ay, 7.5)))
        lines = g.math("MAXIMUM", lines, band(r, 1.8))
        key = g.math("MULTIPLY", g.math("GREATER_THAN", ax, 8.2), g.math("LESS_THAN", ay, 2.45))
        paint = g.math("MULTIPLY", g.math("MULTIPLY", key, inside), 0.85)
        col = g.mix(paint, col, (0.55, 0.1, 0.06))
        col = g.mix(lines, col, (0.85, 0.85, 0.82))
        return g.bsdf(col, 0.22, Coat_Weight=0.3, Coat_Roughness=0.1)

    def blocks(g: Graph) -> Value:
        p = g.geo("Position")
        uv = g.vec(g.math("ADD", g.xyz(p)[0], g.xyz(p)[1]), g.xyz(p)[2], 0.0)
        bk = g.brick(uv, (0.78, 0.77, 0.73), (0.72, 0.71, 0.68), (0.6, 0.6, 0.58),
                     1.0, 0.01, 0.4, 0.2, 0.1)
        z = g.xyz(p)[2]
        pad = g.remap(z, 2.05, 2.0)
        col = g.mix(pad, out(bk, "Color"), (0.05, 0.15, 0.4))
        b = g.bump(g.math("SUBTRACT", 1.0, out(bk, "Factor")), 0.4, 0.01)
        return g.bsdf(col, 0.8, b)

    def glass(g: Graph) -> Value:
        p = g.geo("Position")
        x, _, z = g.xyz(p)
        z = g.math("SUBTRACT", z, 5.5)
        frame = g.math("MAXIMUM", g.remap(g.math("ABSOLUTE", g.math("SUBTRACT",
                         g.math("FRACT", g.math("DIVIDE", x, 1.5)), 0.5)), 0.45, 0.47),
                       g.remap(g.math("ABSOLUTE", g.math("SUBTRACT",
                         g.math("FRACT", g.math("DIVIDE", z, 1.2)), 0.5)), 0.45, 0.47))
        sky_col = g.ramp(g.math("DIVIDE", z, 3.0), [(0.0, (0.8, 0.85, 0.9)),
                                                    (1.0, (0.55, 0.7, 0.95))])
        return g.mixsh(frame, g.emit(sky_col, 3.0), g.bsdf((0.2, 0.2, 0.22), 0.4))

    floor_mat = material("maple", maple)
    box("floor", floor_mat, (0, 0, -0.2), (L, W, 0.2))
    wall = material("blocks", blocks)
    box("wall_n", wall, (0, W / 2, 0), (L, 0.3, H))
    box("wall_s", wall, (0, -W / 2, 0), (L, 0.3, H))
    box("wall_e", wall, (L / 2, 0, 0), (0.3, W, H))
    box("wall_w", wall, (-L / 2, 0, 0), (0.3, W, H))
    ceil = flat("ceiling", (0.55, 0.55, 0.57), 0.7)
    box("ceiling", ceil, (0, 0, H), (L, W, 0.3))
    steel = flat("steel", (0.3, 0.32, 0.35), 0.4, Metallic=0.8)
    for k in range(-5, 6):       # roof trusses
        box("truss", steel, (k * 4.0, 0, H - 1.2), (0.3, W, 0.4))
        box("truss2", steel, (k * 4.0, 0, H - 0.3), (0.15, W, 0.3))
    glow = material("window", glass, glows=True)
    box("windows", glow, (0, W / 2 - 0.2, 7.0), (L - 4, 0.1, 3.0))
    lamp = material("lamp", lambda g: g.emit((1.0, 0.97, 0.9), 8.0))
    for i in range(-4, 5):
        for j in (-1, 1):
            box("lamp", lamp, (i * 4.8, j * 5.0, H - 0.9), (1.2, 0.6, 0.1))
            area_lamp((i * 4.8, j * 5.0, H - 1.0), (1.2, 0.6), 350, (1.0, 0.96, 0.88))
    area_lamp((0, W / 2 - 1.0, 8.5), (L - 4, 3.0), 1500, (0.85, 0.9, 1.0), target=(0, 0, 0))
    board = flat("board", (0.85, 0.86, 0.88), 0.3)
    for sx in (-1, 1):
        box("backboard", board, (sx * 20.8, 0, 2.9), (0.05, 1.8, 1.05))
        box("pole", steel, (sx * 21.6, 0, 0), (0.2, 0.2, 3.2))
        cylinder("ring", flat("ring", (0.9, 0.3, 0.05), 0.4), (sx * 20.5, 0, 3.05),
                        0.23, 0.03)
    camera((-19, -10.5, 1.7), (6, 4, 2.2), lens=22)
    grade(-0.4, "AgX - Base Contrast")


# ==========================================================================
# Set 2
# ==========================================================================


@scene("set2", "Calm open ocean under a bright sky with scattered clouds")
def ocean(rng: random.Random) -> None:
    elev, azim = 24.0, 32.0
    sun = sun_vector(elev, azim)
    world(lambda g: cloud_deck(g, sky(g, Sky(elev, azim, aerosol=0.7)),
                               Clouds(cover=0.35, scale=1.3, lit=(1.3, 1.25, 1.2),
                                      shade=(0.5, 0.55, 0.65), seed=11.0), sun))
    sun_lamp(elev, azim, 5.0, (1.0, 0.92, 0.8), angle=0.6)
    ground(material("sea", lambda g: water(g, (0.005, 0.03, 0.045))), 0.0)
    s = rng.random() * 10

    def cape(x: float, y: float) -> float:
        return 160 * ridged(x, y, 900, 6, s) * smoothstep(600, 0, abs(x + 2400)) - 20

    land = flat("headland", (0.12, 0.14, 0.08), 0.9)
    terrain("cape", land, 3000, 220, cape, loc=(-2400, 4200, 0))
    camera((0, -10, 4.0), (0, 300, 2), lens=30)
    add_fog(0.00015, start=300)
    grade(-0.1, "AgX - Punchy")


@scene("set2", "Blue sky filled with fair-weather clouds over low green hills")
def cloudy_sky(rng: random.Random) -> None:
    elev, azim = 48.0, 200.0
    sun = sun_vector(elev, azim)
    world(lambda g: cloud_deck(g, sky(g, Sky(elev, azim, ozone=1.5)),
                               Clouds(cover=0.5, scale=0.5, detail=6, soft=0.07,
                                      lit=(1.35, 1.35, 1.35), shade=(0.42, 0.46, 0.55),
                                      seed=21.0), sun))
    sun_lamp(elev, azim, 4.0)
    s = rng.random() * 10

    def hills(x: float, y: float) -> float:
        return 40 * fbm(x, y, 500, 5, seed=s) + 60 * smoothstep(500, 3000, y)

    def field(g: Graph) -> Value:
        n = g.noise(g.coord("Object"), 0.01, 6, 0.6)
        col = g.ramp(out(n, "Factor"), [(0.35, (0.07, 0.15, 0.03)), (0.5, (0.2, 0.27, 0.06)),
                                        (0.65, (0.32, 0.3, 0.1))])
        return g.bsdf(col, 0.9)

    mat = material("field", field)
    terrain("hills", mat, 8000, 300, hills, loc=(0, 3500, 0))
    ground(mat, -40)
    camera((0, -100, hills(0, -100) + 8), (0, 400, 220), lens=22)
    add_fog(0.0003, start=300)
    grade(0.0, "AgX - Punchy")


@scene("set2", "Thunderstorm: dark clouds, lightning and rain over wet fields")
def storm_clouds(rng: random.Random) -> None:
    elev, azim = 20.0, 170.0
    sun = sun_vector(elev, azim)

    def storm(g: Graph) -> Value:
        base = sky(g, Sky(elev, azim, aerosol=6.0, gain=0.08))
        c = cloud_deck(g, base, Clouds(cover=0.97, scale=0.35, detail=12, soft=0.5,
                                       lit=(0.2, 0.21, 0.24), shade=(0.025, 0.03, 0.04),
                                       seed=31.0), sun)
        # A brighter gap low on the horizon.
        _, _, z = dirs(g)
        gap = g.remap(z, 0.09, 0.0, smooth=True)
        return g.mix(g.math("MULTIPLY", gap, 0.8), c, (0.5, 0.45, 0.4))

    world(storm)
    sun_lamp(elev, azim, 0.5, (0.8, 0.85, 1.0), angle=10)
    s = rng.random() * 10

    def land(x: float, y: float) -> float:
        return 18 * fbm(x, y, 400, 5, seed=s) + 80 * smoothstep(800, 3000, y) * ridged(x, y, 900, 4, s)

    def wet(g: Graph) -> Value:
        p = g.coord("Object")
        n = g.noise(p, 0.02, 6, 0.6)
        col = g.ramp(out(n, "Factor"), [(0.4, (0.1, 0.13, 0.05)), (0.6, (0.22, 0.23, 0.1))])
        puddle = g.remap(out(g.noise(p, 0.08, 4, seed=2), "Factor"), 0.66, 0.68)
        rough = g.mix(puddle, (0.8, 0.8, 0.8), (0.2, 0.2, 0.2))
        return g.bsdf(col, g.xyz(rough)[0], g.bump(out(g.noise(p, 2.0, 4), "Factor"), 0.3))

    mat = material("wet", wet)
    terrain("plain", mat, 7000, 400, land, loc=(0, 3000, 0))
    ground(mat, -30)
    # Lightning: a jagged chain of thin glowing rods from the cloud base.
    bolt = material("bolt", lambda g: g.emit((0.8, 0.85, 1.0), 60.0), glows=True)
    pos = Vector((-700.0, 2600.0, 900.0))
    for i in range(26):
        step = Vector((rng.uniform(-40, 40), rng.uniform(-20, 20), -rng.uniform(25, 45)))
        mid = pos + step / 2
        rod = cylinder(f"bolt{i}", bolt, (0, 0, 0), 1.6, step.length, segments=6)
        rod.location = mid - step.normalized() * step.length / 2
        rod.rotation_euler = step.normalized().to_track_quat("Z", "Y").to_euler()
        pos = pos + step
        if pos.z < land(pos.x, pos.y):
            break
    point_lamp((-700, 2550, 700), 3e7, (0.7, 0.75, 1.0), 50)
    cam = camera((0, -60, land(0, -60) + 3), (0, 500, 120), lens=24)
    rain(cam)
    add_fog(0.0004, start=200, tint=(0.9, 0.95, 1.1))
    grade(0.4, "AgX - Punchy")


@scene("set2", "Underwater seabed: rippled sand with caustics, rocks and kelp in blue haze")
def underwater(rng: random.Random) -> None:
    def sea(g: Graph) -> Value:
        _, _, z = dirs(g)
        return g.ramp(g.math("ADD", g.math("MULTIPLY", z, 0.5), 0.5),
                      [(0.0, (0.0, 0.02, 0.04)), (0.5, (0.01, 0.12, 0.2)),
                       (0.8, (0.08, 0.35, 0.45)), (1.0, (0.5, 0.8, 0.85))])

    world(sea, 1.0)
    sun_lamp(75, 30, 1.6, (0.55, 0.85, 0.95), angle=2.0)
    s = rng.random() * 10

    def bed(x: float, y: float) -> float:
        return 2.5 * fbm(x, y, 40, 5, seed=s) + 1.2 * ridged(x, y, 25, 4, s)

    def sand(g: Graph) -> Value:
        p = g.coord("Object")
        rip = g.wave(g.scale(p, (1.0, 0.4, 1.0)), 0.9, 5.0, 3, detail_scale=0.5)
        n = g.noise(p, 0.3, 5)
        col = g.ramp(out(n, "Factor"), [(0.35, (0.22, 0.2, 0.14)), (0.65, (0.36, 0.33, 0.24))])
        # Caustics: the bright net that wavy surface focusing throws on sand.
        warp = g.noise(p, 0.4, 2)
        cp = g.vmath("ADD", p, g.scale(out(warp, "Color"), (0.6, 0.6, 0.0)))
        net = g.voronoi(cp, 1.1, "SMOOTH_F1", seed=4)
        edge = g.voronoi(cp, 1.1, "DISTANCE_TO_EDGE", seed=4)
        caus = g.math("POWER", g.remap(out(edge, "Distance"), 0.07, 0.0), 2.0)
        caus = g.math("MULTIPLY", caus, g.remap(out(g.noise(p, 0.25, 3, seed=6), "Factor"),
                                                0.35, 0.6))
        caus = g.math("MULTIPLY", caus, g.remap(out(net, "Distance"), 0.0, 0.6, 0.5, 1.0))
        b = g.bump(out(rip, "Factor"), 0.4, 0.1)
        return g.bsdf(col, 0.8, b, Emission_Color=(0.6, 0.95, 1.0),
                      Emission_Strength=g.math("MULTIPLY", caus, 0.35))

    terrain("seabed", material("sand", sand), 300, 300, bed, loc=(0, 100, 0))

    def rock_mat(g: Graph) -> Value:
        p = g.coord("Object")
        n = g.noise(p, 3.0, 8, 0.6)
        algae = g.remap(g.xyz(g.geo("Normal"))[2], 0.3, 0.8)
        col = g.ramp(out(n, "Factor"), [(0.3, (0.1, 0.1, 0.1)), (0.7, (0.3, 0.28, 0.25))])
        col = g.mix(g.math("MULTIPLY", algae, 0.7), col, (0.15, 0.25, 0.08))
        return g.bsdf(col, 0.9, g.bump(out(n, "Factor"), 1.0, 0.1))

    rk = sphere("rock", material("rock", rock_mat), (0, 0, -100), 1.0, 3)
    mod = rk.modifiers.new("lumpy", "DISPLACE")
    tex = bpy.data.textures.new("lumps", "CLOUDS")
    tex.noise_scale = 0.6
    mod.texture = tex
    mod.strength = 0.6
    scatter(rk, rng, 40, lambda r: (r.uniform(-25, 25), r.uniform(5, 80)), bed, (0.6, 2.5),
            squash=0.4)

    def kelp_mat(g: Graph) -> Value:
        p = g.coord("Object")
        n = g.noise(p, 4.0, 3)
        col = g.mix(out(n, "Factor"), (0.1, 0.18, 0.03), (0.3, 0.35, 0.06))
        return g.bsdf(col, 0.6, Transmission_Weight=0.2)

    kelp = cylinder("kelp", material("kelp", kelp_mat), (0, 0, -100), 0.05, 1.0, top=0.02, segments=6)
    kelp.data.transform(Matrix.Diagonal((1.0, 0.25, 1.0, 1.0)))     # flat blades
    scatter(kelp, rng, 260, lambda r: (r.uniform(-30, 30), r.uniform(6, 90)), bed, (2, 8),
            squash=0.6)
    camera((0, -8, bed(0, -8) + 3.5), (0, 25, -1), lens=24)
    add_fog(0.06, (0.015, 0.17, 0.27), start=1)
    grade(0.3, "AgX - Punchy")


@scene("set2", "Library aisle between tall wooden shelves full of books, warm lamps")
def library(rng: random.Random) -> None:
    world(lambda g: (0.3, 0.25, 0.2), 0.15)
    oak = wood("oak", (0.32, 0.17, 0.07), (0.14, 0.06, 0.02), 1.5)

    def books(g: Graph) -> Value:
        t = tag(g)
        col = g.ramp(t, [(0.0, (0.35, 0.04, 0.03)), (0.15, (0.06, 0.14, 0.08)),
                         (0.3, (0.05, 0.07, 0.2)), (0.45, (0.45, 0.3, 0.12)),
                         (0.6, (0.62, 0.55, 0.42)), (0.72, (0.2, 0.08, 0.05)),
                         (0.85, (0.08, 0.08, 0.07)), (1.0, (0.5, 0.1, 0.08))], "CONSTANT")
        z = g.xyz(g.coord("Object"))[2]
        # Gilt bands across the spines at two heights of each shelf.
        fz = g.math("FRACT", g.math("DIVIDE", z, 0.42))
        band = g.math("MAXIMUM", g.remap(g.math("ABSOLUTE", g.math("SUBTRACT", fz, 0.14)), 0.008, 0.004),
                      g.remap(g.math("ABSOLUTE", g.math("SUBTRACT", fz, 0.5)), 0.008, 0.004))
        band = g.math("MULTIPLY", band, g.math("GREATER_THAN", g.math("FRACT", g.math("MULTIPLY", t, 7.0)), 0.5))
        col = g.mix(band, col, (0.75, 0.55, 0.2))
        wear = g.noise(g.coord("Object"), 40.0, 3)
        col = g.mix(g.math("MULTIPLY", out(wear, "Factor"), 0.3), col, (0.0, 0.0, 0.0))
        return g.bsdf(col, g.math("ADD", 0.45, g.math("MULTIPLY", band, -0.2)),
                      Metallic=g.math("MULTIPLY", band, 0.8))

    book_mat = material("books", books)

    def bay(seed: int) -> list[Part]:
        """One 1 m bay of shelving: sides, back, 6 shelves, packed books."""
        r = random.Random(seed)
        parts = [Part((-0.5, 0.0, 0.0), (0.04, 0.34, 2.6)), Part((0.5, 0.0, 0.0), (0.04, 0.34, 2.6)),
                 Part((0.0, 0.16, 0.0), (1.0, 0.02, 2.6))]
        for k in range(7):
            parts.append(Part((0.0, 0.0, 0.08 + k * 0.42), (1.0, 0.34, 0.025)))
        for k in range(6):
            x = -0.47
            base = 0.105 + k * 0.42
            while True:
                w = r.uniform(0.02, 0.055)
                if x + w > 0.47:
                    break
                h = r.uniform(0.22, 0.36)
                lean = r.random() < 0.03
                parts.append(Part((x + w / 2, -0.02 + r.uniform(0, 0.03), base),
                                  (w * 0.97, r.uniform(0.18, 0.25), h * (0.8 if lean else 1.0)),
                                  1, r.random()))
                x += w
                if r.random() < 0.04:
                    x += r.uniform(0.05, 0.15)      # gaps where books are out
        return parts

    bays = [compound(f"bay{i}", bay(i), [oak, book_mat], (0, 0, -50)) for i in range(4)]
    for side in (-1, 1):
        for j in range(14):
            b = bays[rng.randrange(4)]
            clone(b, (side * 1.35, j * 1.02, 0), (0, 0, -90 * side))
    for j in range(3):          # far wall
        clone(bays[rng.randrange(4)], (-1.02 + j * 1.02, 14.3, 0), (0, 0, 0))
    floor = wood("floor", (0.25, 0.13, 0.06), (0.1, 0.05, 0.02), 2.0, 0.3, "Y")
    box("floor", floor, (0, 7, -0.1), (6, 20, 0.1))

    def runner(g: Graph) -> Value:
        p = g.geo("Position")
        x = g.xyz(p)[0]
        border = g.remap(g.math("ABSOLUTE", x), 0.5, 0.52)
        n = g.noise(p, 60.0, 2)
        pat = g.wave(p, 3.0, 3.0, 2, kind="RINGS")
        col = g.mix(g.math("MULTIPLY", out(pat, "Factor"), 0.4), (0.35, 0.04, 0.04), (0.5, 0.3, 0.1))
        col = g.mix(border, col, (0.1, 0.08, 0.15))
        return g.bsdf(g.mix(g.math("MULTIPLY", out(n, "Factor"), 0.2), col, (0, 0, 0)), 0.95)

    box("runner", material("runner", runner), (0, 7, 0), (1.4, 16, 0.01))
    box("ceiling", wood("ceil", (0.18, 0.09, 0.04), (0.08, 0.04, 0.02)), (0, 7, 3.3), (6, 20, 0.1))
    lamp = material("lamp", lambda g: g.emit((1.0, 0.75, 0.45), 12.0))
    brass = flat("brass", (0.6, 0.45, 0.2), 0.3, Metallic=1.0)
    for j in range(5):
        y = 1.5 + j * 3.0
        sphere("globe", lamp, (0, y, 2.55), 0.14, 2)
        cylinder("rod", brass, (0, y, 2.65), 0.01, 0.7, segments=6)
        point_lamp((0, y, 2.4), 60, (1.0, 0.72, 0.42), 0.14)
    box("table", oak, (0, 11.5, 0), (1.0, 1.8, 0.78))
    point_lamp((0, 11.5, 1.3), 40, (1.0, 0.7, 0.4), 0.1)
    camera((0.15, -1.8, 1.6), (-0.2, 12, 1.25), lens=22)
    grade(0.5, "AgX - Punchy")


@scene("set2", "Kitchen: white subway tiles, painted cabinets, stone counters, tiled floor")
def kitchen(rng: random.Random) -> None:
    world(lambda g: (0.8, 0.85, 0.9), 0.3)

    def tiles(g: Graph) -> Value:
        p = g.geo("Position")
        uv = g.vec(g.math("ADD", g.xyz(p)[0], g.xyz(p)[1]), g.xyz(p)[2], 0.0)
        bk = g.brick(uv, (0.9, 0.9, 0.88), (0.85, 0.86, 0.84), (0.55, 0.55, 0.52),
                     1.0, 0.004, 0.15, 0.075, 0.1, smooth=0.3)
        b = g.bump(out(bk, "Factor"), -0.6, 0.004)
        return g.bsdf(out(bk, "Color"), 0.12, b)

    def cabinet(g: Graph) -> Value:
        p = g.geo("Position")
        u = g.math("ADD", g.xyz(p)[0], g.xyz(p)[1])
        fx = g.math("FRACT", g.math("DIVIDE", u, 0.6))
        panel = g.math("MULTIPLY", g.remap(g.math("ABSOLUTE", g.math("SUBTRACT", fx, 0.5)), 0.42, 0.44),
                       1.0)
        grain = g.noise(g.scale(p, (8.0, 8.0, 0.5)), 6.0, 4)
        col = g.mix(g.math("MULTIPLY", out(grain, "Factor"), 0.5), (0.2, 0.3, 0.28),
                    (0.26, 0.37, 0.35))
        return g.bsdf(col, 0.5, g.bump(panel, 0.4, 0.01))

    def granite(g: Graph) -> Value:
        p = g.geo("Position")
        speck = g.voronoi(p, 160.0, seed=2)
        n = g.noise(p, 8.0, 6)
        col = g.ramp(g.math("ADD", g.math("MULTIPLY", g.xyz(out(speck, "Color"))[0], 0.5),
                            g.math("MULTIPLY", out(n, "Factor"), 0.5)),
                     [(0.3, (0.02, 0.02, 0.025)), (0.55, (0.1, 0.095, 0.09)), (0.8, (0.35, 0.32, 0.3))])
        return g.bsdf(col, 0.15)

    def floor_tiles(g: Graph) -> Value:
        p = g.geo("Position")
        chk = g.node("ShaderNodeTexChecker", Vector=p, Color1=(0.42, 0.2, 0.11),
                     Color2=(0.36, 0.17, 0.09), Scale=2.5)
        bk = g.brick(p, (1, 1, 1), (1, 1, 1), (0.35, 0.33, 0.3), 1.0, 0.006, 0.4, 0.4, 0.0,
                     offset=0.0, smooth=0.2)
        n = g.noise(p, 4.0, 5)
        col = g.mix(out(bk, "Factor"), out(chk, "Color"), (0.35, 0.33, 0.3))
        col = g.mix(g.math("MULTIPLY", out(n, "Factor"), 0.25), col, (0.3, 0.15, 0.08))
        return g.bsdf(col, 0.35, g.bump(out(bk, "Factor"), -0.5, 0.004))

    tile = material("tiles", tiles)
    cab = material("cabinet", cabinet)
    top = material("granite", granite)
    steel = flat("steel", (0.55, 0.56, 0.58), 0.32, Metallic=1.0)
    wall = plaster("wall", (0.85, 0.82, 0.74))
    box("floor", material("floor", floor_tiles), (0, 0, -0.1), (8, 8, 0.1))
    box("back", tile, (0, 2.0, 0), (8, 0.1, 2.8))
    box("side", wall, (-2.6, 0, 0), (0.1, 8, 2.8))
    box("side_r", wall, (3.0, 0, 0), (0.1, 8, 2.8))
    box("range", steel, (2.25, 1.6, 0), (0.9, 0.65, 0.9))
    box("hob", flat("hob", (0.02, 0.02, 0.02), 0.1), (2.25, 1.6, 0.9), (0.9, 0.65, 0.02))
    box("hood", steel, (2.25, 1.8, 1.7), (0.9, 0.4, 0.35))
    box("ceiling", plaster("ceiling", (0.9, 0.9, 0.88)), (0, 0, 2.8), (8, 8, 0.1))
    box("base", cab, (0.2, 1.65, 0), (4.6, 0.6, 0.88))
    box("top", top, (0.2, 1.62, 0.88), (4.7, 0.66, 0.04))
    box("upper", cab, (0.6, 1.78, 1.55), (3.8, 0.34, 0.8))
    box("island", cab, (0.3, -0.2, 0), (2.0, 0.9, 0.88))
    box("island_top", top, (0.3, -0.2, 0.88), (2.2, 1.0, 0.04))
    box("fridge", steel, (-2.05, 1.55, 0), (0.9, 0.75, 2.0))
    for k in range(-3, 5):       # drawer handles
        box("handle", steel, (0.2 + k * 0.6 - 0.25, 1.34, 0.72), (0.14, 0.02, 0.015))
    box("sink", steel, (0.9, 1.6, 0.86), (0.7, 0.45, 0.03))
    cylinder("tap", steel, (0.9, 1.85, 0.9), 0.02, 0.35, segments=10)
    box("window", daylight_window("window", 4.0, 0.6), (-2.52, 0.3, 1.0), (0.05, 1.6, 1.3))
    area_lamp((-2.3, 0.3, 1.6), (1.3, 1.6), 500, (0.9, 0.95, 1.0), target=(1, 0.3, 1.0))
    shade = material("shade", lambda g: g.bsdf((0.1, 0.1, 0.1), 0.3, Metallic=1.0))
    glow = material("bulb", lambda g: g.emit((1.0, 0.85, 0.6), 20.0))
    for x in (-0.2, 0.8):
        cylinder("shade", shade, (x, -0.2, 1.9), 0.18, 0.22, top=0.05, segments=20)
        sphere("bulb", glow, (x, -0.2, 1.9), 0.05, 2)
        point_lamp((x, -0.2, 1.85), 80, (1.0, 0.85, 0.62), 0.05)
    area_lamp((0.5, 0.5, 2.7), (2.0, 2.0), 200, (1.0, 0.95, 0.9))
    bowl = flat("bowl", (0.8, 0.78, 0.72), 0.2)
    sphere("bowl", bowl, (0.6, -0.2, 0.92), 0.16, 3).scale = (1, 1, 0.5)
    for k in range(4):
        sphere("fruit", flat("fruit", (0.9, 0.45, 0.05), 0.4), (0.55 + 0.08 * k, -0.2 + 0.05 * (k % 2), 0.98),
               0.05, 2)
    camera((-1.4, -2.2, 1.6), (0.6, 1.8, 1.05), lens=22)
    grade(-1.2, "AgX - Base Contrast")


@scene("set2", "Open-plan office: carpet tiles, desks with monitors, ceiling lights, windows")
def office(rng: random.Random) -> None:
    world(lambda g: (0.7, 0.8, 0.95), 0.4)

    def carpet(g: Graph) -> Value:
        p = g.geo("Position")
        chk = g.node("ShaderNodeTexChecker", Vector=p, Color1=(0.17, 0.18, 0.21),
                     Color2=(0.19, 0.2, 0.23), Scale=2.0)
        # Tiles laid with alternating pile direction: stripe texture at 90 deg.
        fibres = g.noise(g.scale(p, (1.0, 6.0, 1.0)), 40.0, 4, 0.7)
        loops = g.noise(p, 120.0, 2)
        col = g.mix(g.math("MULTIPLY", out(fibres, "Factor"), 0.5), out(chk, "Color"),
                    (0.08, 0.09, 0.11))
        b = g.bump(out(loops, "Factor"), 0.3, 0.005)
        return g.bsdf(col, 0.95, b)

    def ceiling(g: Graph) -> Value:
        p = g.geo("Position")
        bk = g.brick(p, (0.85, 0.85, 0.83), (0.82, 0.82, 0.8), (0.55, 0.55, 0.55), 1.0, 0.015,
                     0.6, 0.6, 0.0, offset=0.0, smooth=0.0)
        pits = g.noise(p, 50.0, 2)
        return g.bsdf(out(bk, "Color"), 0.9, g.bump(out(pits, "Factor"), 0.2, 0.003))

    box("floor", material("carpet", carpet), (0, 8, -0.1), (20, 24, 0.1))
    box("ceiling", material("ceiling", ceiling), (0, 8, 2.9), (20, 24, 0.05))
    wall = plaster("wall", (0.82, 0.81, 0.78))
    box("wall_l", wall, (-8, 8, 0), (0.2, 24, 2.9))
    box("wall_back", plaster("accent", (0.25, 0.38, 0.45)), (0, 19.5, 0), (20, 0.2, 2.9))
    box("windows", daylight_window("glass", 3.5, 1.5, "Y"), (8, 8, 0.0), (0.1, 24, 2.9))
    area_lamp((7.6, 8, 1.5), (2.8, 24), 3000, (0.9, 0.95, 1.0), target=(0, 8, 1.0))
    panel = material("panel", lambda g: g.emit((1.0, 0.98, 0.94), 6.0))
    for i in range(-2, 3):
        for j in range(0, 6):
            box("light", panel, (i * 3.0, j * 3.2, 2.86), (0.6, 1.2, 0.04))
    for i in (-1, 1):
        for j in range(0, 6):
            area_lamp((i * 3.0, j * 3.2, 2.84), (1.2, 2.4), 160, (1.0, 0.97, 0.92))

    def desks(tone: float) -> list[Part]:
        parts: list[Part] = []
        for k in (0, 1):
            sy = -0.4 if k == 0 else 0.4
            parts += [Part((0.0, sy, 0.72), (1.6, 0.8, 0.03)),
                      Part((-0.75, sy, 0.0), (0.04, 0.7, 0.72), 1), Part((0.75, sy, 0.0), (0.04, 0.7, 0.72), 1),
                      Part((0.0, sy * 0.65, 0.94), (0.6, 0.03, 0.36), 2),     # monitor
                      Part((0.0, sy * 0.75, 0.75), (0.06, 0.06, 0.2), 1),     # stand
                      Part((0.0, sy * 1.6, 0.0), (0.5, 0.5, 0.45), 3, tone),  # chair seat
                      Part((0.0, sy * 1.6 + 0.22 * (1 if k else -1), 0.45), (0.46, 0.06, 0.55), 3, tone),
                      Part((0.25, sy * 0.3, 0.745), (0.4, 0.15, 0.02), 2)]    # keyboard
        parts.append(Part((0.0, 0.0, 0.72), (1.6, 0.03, 0.45), 4, tone))     # divider
        return parts

    top = flat("desk", (0.8, 0.78, 0.74), 0.35)
    metal = flat("metal", (0.35, 0.36, 0.38), 0.35, Metallic=0.9)
    screen = material("screen", lambda g: g.bsdf((0.01, 0.01, 0.012), 0.15))

    def fabric(g: Graph) -> Value:
        n = g.noise(g.coord("Object"), 200.0, 2)
        col = g.ramp(tag(g), [(0.0, (0.08, 0.08, 0.09)), (0.5, (0.15, 0.2, 0.3)),
                              (1.0, (0.3, 0.32, 0.28))])
        return g.bsdf(col, 0.9, g.bump(out(n, "Factor"), 0.2, 0.002))

    cloth = material("fabric", fabric)
    sets = [compound(f"desk{t}", desks(t * 0.5), [top, metal, screen, cloth, cloth], (0, 0, -50))
            for t in range(3)]
    for i in range(-2, 3):
        for j in range(5):
            clone(sets[rng.randrange(3)], (i * 3.0 + 0.5, 1.5 + j * 3.4, 0), (0, 0, 0))
    plant_pot = flat("pot", (0.9, 0.9, 0.88), 0.4)
    leaf = foliage("leaves", (0.03, 0.1, 0.02), (0.1, 0.25, 0.05))
    for (x, y) in ((-7.2, 3.0), (-7.2, 10.0), (6.8, 15.0)):
        cylinder("pot", plant_pot, (x, y, 0), 0.25, 0.5)
        sphere("plant", leaf, (x, y, 1.0), 0.5, 2).scale = (1, 1, 1.3)
    camera((-5.2, -3.5, 1.65), (2.5, 12, 0.9), lens=22)
    grade(-0.3, "AgX - Base Contrast")


@scene("set2", "Warehouse aisle: pallet racks with cartons, concrete floor, high-bay lights")
def warehouse(rng: random.Random) -> None:
    world(lambda g: (0.5, 0.55, 0.6), 0.2)

    def concrete(g: Graph) -> Value:
        p = g.geo("Position")
        stains = g.noise(p, 0.15, 6, 0.65)
        fine = g.noise(p, 12.0, 5)
        joints = g.brick(p, (1, 1, 1), (1, 1, 1), (0.2, 0.2, 0.2), 1.0, 0.01, 6.0, 6.0,
                         offset=0.0, smooth=0.0)
        col = g.ramp(g.math("ADD", g.math("MULTIPLY", out(stains, "Factor"), 0.7),
                            g.math("MULTIPLY", out(fine, "Factor"), 0.3)),
                     [(0.3, (0.22, 0.21, 0.2)), (0.55, (0.38, 0.37, 0.35)), (0.75, (0.46, 0.45, 0.43))])
        col = g.mix(1.0, col, out(joints, "Color"), "MULTIPLY")
        rough = g.remap(out(stains, "Factor"), 0.3, 0.7, 0.15, 0.5)
        lane = g.remap(g.math("ABSOLUTE", g.math("SUBTRACT", g.math("ABSOLUTE", g.xyz(p)[0]), 1.9)),
                       0.07, 0.05)
        col = g.mix(g.math("MULTIPLY", lane, 0.9), col, (0.75, 0.6, 0.05))
        return g.bsdf(col, rough, g.bump(out(fine, "Factor"), 0.1, 0.01))

    def corrugated(g: Graph) -> Value:
        p = g.geo("Position")
        u = g.math("ADD", g.xyz(p)[0], g.xyz(p)[1])
        ribs = g.wave(g.vec(u, 0.0, 0.0), 2.0 / 0.15 / 2.0, 0.0, 0.0, axis="X")
        dirt = g.noise(p, 0.3, 5)
        col = g.mix(g.math("MULTIPLY", out(dirt, "Factor"), 0.4), (0.6, 0.62, 0.63), (0.3, 0.3, 0.28))
        return g.bsdf(col, 0.45, g.bump(out(ribs, "Factor"), 0.5, 0.03), Metallic=0.6)

    def carton(g: Graph) -> Value:
        p = g.coord("Object")
        n = g.noise(p, 3.0, 4)
        col = g.ramp(g.math("ADD", g.math("MULTIPLY", tag(g), 0.7),
                            g.math("MULTIPLY", out(n, "Factor"), 0.3)),
                     [(0.2, (0.42, 0.27, 0.13)), (0.6, (0.55, 0.38, 0.2)), (0.9, (0.62, 0.5, 0.33))])
        return g.bsdf(col, 0.85)

    floor = material("concrete", concrete)
    box("floor", floor, (0, 20, -0.1), (40, 70, 0.1))
    wall = material("corrugated", corrugated)
    box("wall_back", wall, (0, 52, 0), (40, 0.3, 12))
    box("wall_l", wall, (-15, 20, 0), (0.3, 70, 12))
    box("wall_r", wall, (15, 20, 0), (0.3, 70, 12))
    box("roof", flat("roof", (0.35, 0.36, 0.37), 0.6), (0, 20, 12), (40, 70, 0.2))
    blue = flat("upright", (0.05, 0.15, 0.45), 0.4, Metallic=0.5)
    orange = flat("beam", (0.85, 0.3, 0.03), 0.4, Metallic=0.4)
    pallet = wood("pallet", (0.55, 0.42, 0.26), (0.35, 0.24, 0.12), 2.0, 0.8)
    box_mat = material("carton", carton)

    def rack(seed: int) -> list[Part]:
        r = random.Random(seed)
        parts: list[Part] = []
        for x in (-1.4, 1.4):
            for y in (-0.5, 0.5):
                parts.append(Part((x, y, 0.0), (0.08, 0.08, 7.6)))
        for lvl in range(4):
            z = 0.15 + lvl * 1.85
            for y in (-0.5, 0.5):
                parts.append(Part((0.0, y, z), (2.9, 0.06, 0.12), 1))
            if lvl == 0:
                z = 0.0
            for px in (-0.7, 0.7):
                if r.random() < 0.15:
                    continue
                parts.append(Part((px, 0.0, z + 0.12), (1.2, 1.0, 0.14), 2))
                h = r.uniform(0.6, 1.5)
                nx, ny = r.choice([(2, 2), (2, 3), (1, 2), (3, 2)])
                for a in range(nx):
                    for b in range(ny):
                        for c in range(max(1, int(h / 0.45))):
                            if r.random() < 0.08:
                                continue
                            w, d = 1.15 / nx, 0.95 / ny
                            parts.append(Part((px - 0.575 + w * (a + 0.5), -0.475 + d * (b + 0.5),
                                               z + 0.26 + c * 0.45), (w * 0.96, d * 0.96, 0.43),
                                              3, r.random()))
        return parts

    racks = [compound(f"rack{i}", rack(i), [blue, orange, pallet, box_mat], (0, 0, -50))
             for i in range(3)]
    for side in (-1, 1):
        for row in range(2):
            x = side * (3.4 + row * 5.0)
            for j in range(15):
                clone(racks[rng.randrange(3)], (x, 2 + j * 2.9, 0), (0, 0, 90))
                if row == 1:
                    clone(racks[rng.randrange(3)], (x + side * 1.1, 2 + j * 2.9, 0), (0, 0, 90))
    lamp = material("bay", lambda g: g.emit((1.0, 0.96, 0.88), 25.0))
    for j in range(8):
        for x in (-5.0, 0.0, 5.0):
            cylinder("bay", lamp, (x, 2 + j * 6.0, 10.4), 0.3, 0.06)
            area_lamp((x, 2 + j * 6.0, 10.35), (0.6, 0.6), 900, (1.0, 0.95, 0.85), spread=100)
    camera((0.6, -5, 1.8), (-0.3, 30, 2.6), lens=22)
    grade(0.0, "AgX - Punchy")


@scene("set2", "Rainy farm: ploughed furrows, red barn, silo and fence under grey cloud")
def rainy_farm(rng: random.Random) -> None:
    elev, azim = 30.0, 150.0

    def overcast(g: Graph) -> Value:
        base = sky(g, Sky(elev, azim, aerosol=8.0, gain=0.12))
        return cloud_deck(g, base, Clouds(cover=0.93, scale=0.6, detail=9, soft=0.5,
                                          lit=(0.62, 0.63, 0.66), shade=(0.3, 0.31, 0.34),
                                          seed=41.0))

    world(overcast)
    s = rng.random() * 10

    def land(x: float, y: float) -> float:
        return 6 * fbm(x, y, 300, 4, seed=s) + 25 * smoothstep(400, 1500, y) * fbm(x, y, 500, 3, seed=s + 1)

    def soil(g: Graph) -> Value:
        p = g.coord("Object")
        x = g.xyz(p)[0]
        field = g.math("LESS_THAN", g.math("ABSOLUTE", g.math("SUBTRACT", x, 25.0)), 45.0)
        furrow = g.wave(g.vec(x, 0.0, 0.0), 1.0 / 0.75, 0.0, 0.0, axis="X")
        clods = g.noise(p, 3.0, 6, 0.7)
        # Water collects in the bottoms of the furrows: dark and glossy.
        wet = g.math("MULTIPLY", g.remap(out(furrow, "Factor"), 0.25, 0.15),
                     g.remap(out(g.noise(p, 0.15, 3, seed=3), "Factor"), 0.4, 0.55))
        wet = g.math("MULTIPLY", wet, field)
        col = g.ramp(out(clods, "Factor"), [(0.35, (0.09, 0.06, 0.04)), (0.65, (0.19, 0.13, 0.08))])
        grass = g.ramp(out(g.noise(p, 0.08, 5), "Factor"),
                       [(0.35, (0.07, 0.12, 0.03)), (0.65, (0.16, 0.2, 0.06))])
        col = g.mix(field, grass, col)
        col = g.mix(g.math("MULTIPLY", wet, 0.8), col, (0.02, 0.02, 0.02))
        h = g.math("ADD", g.math("MULTIPLY", out(furrow, "Factor"), field),
                   g.math("MULTIPLY", out(clods, "Factor"), 0.15))
        b = g.bump(h, g.math("SUBTRACT", 0.9, g.math("MULTIPLY", wet, 0.8)), 0.12)
        rough = g.math("SUBTRACT", 0.85, g.math("MULTIPLY", wet, 0.8))
        return g.bsdf(col, rough, b)

    mat = material("soil", soil)
    terrain("farm", mat, 3000, 500, land, loc=(0, 1200, 0))
    ground(mat, -30)
    red = plaster("barn", (0.38, 0.06, 0.04), 0.7)
    roof = flat("roof", (0.12, 0.12, 0.13), 0.5, Metallic=0.5)
    bx, by = -50.0, 95.0
    bz = land(bx, by) - 0.5
    box("barn", red, (bx, by, bz), (24, 14, 8))

    def gable(bm: bmesh.types.BMesh) -> None:
        v = [bm.verts.new(c) for c in ((-13, -8, 0), (13, -8, 0), (13, 0, 5), (-13, 0, 5),
                                        (13, 8, 0), (-13, 8, 0))]
        for f in ((0, 1, 2, 3), (3, 2, 4, 5), (0, 3, 5), (1, 4, 2), (0, 5, 4, 1)):
            bm.faces.new([v[i] for i in f])

    link("roof", _mesh("roof", gable), roof, (bx, by, bz + 8))
    box("door", flat("door", (0.05, 0.03, 0.02)), (bx + 4, by - 7.05, bz), (5, 0.2, 5))
    silo = flat("silo", (0.55, 0.56, 0.55), 0.4, Metallic=0.6)
    cylinder("silo", silo, (bx + 18, by + 4, bz), 3.5, 16)
    sphere("dome", silo, (bx + 18, by + 4, bz + 16), 3.5, 3)
    post = wood("post", (0.3, 0.25, 0.2), (0.15, 0.12, 0.1), 3.0, 0.9, "Z")
    for k in range(40):
        y = -10 + k * 4.0
        x = -22 + 0.5 * math.sin(k)
        box("post", post, (x, y, land(x, y) - 0.3), (0.14, 0.14, 1.6))
        box("rail", post, (x, y + 2, land(x, y) + 0.9), (0.06, 4.0, 0.1))
    tree = conifer("tree", bark(), foliage("hedge", (0.03, 0.06, 0.025), (0.07, 0.1, 0.04)),
                   rng, tiers=9, width=0.4)
    scatter(tree, rng, 120, lambda r: (r.uniform(-400, 400), r.uniform(380, 440)), land, (10, 18))
    scatter(tree, rng, 12, lambda r: (r.uniform(-95, -70), r.uniform(100, 150)), land, (9, 15))
    cam = camera((10, -20, land(10, -20) + 1.7), (5, 200, 6), lens=26)
    rain(cam, strength=0.3)
    add_fog(0.0025, (0.42, 0.44, 0.47), start=20)
    grade(0.2, "AgX - Base Contrast")


@scene("set2", "Grand state room: polished marble floor, columns, gilt trim, tall windows")
def marble_hall(rng: random.Random) -> None:
    world(lambda g: (0.8, 0.8, 0.8), 0.2)

    def marble(g: Graph) -> Value:
        p = g.geo("Position")
        # Veins: a warped wave through the stone, sharpened.
        warp = g.noise(p, 0.9, 8, 0.65, 3.0)
        vein = g.wave(g.vmath("ADD", p, g.scale(out(warp, "Color"), (1.5, 1.5, 1.5))), 0.9,
                      0.0, 0.0, axis="X")
        v = g.math("POWER", g.remap(out(vein, "Factor"), 0.0, 0.12, 1.0, 0.0), 2.0)
        chk = g.node("ShaderNodeTexChecker", Vector=g.vmath("ADD", p, (0.0, 0.0, 0.01)),
                     Color1=(1, 1, 1), Color2=(0, 0, 0), Scale=1.0)
        dark = out(chk, "Factor")
        white = g.mix(g.math("MULTIPLY", v, 0.5), (0.88, 0.86, 0.82), (0.45, 0.45, 0.47))
        green = g.mix(g.math("MULTIPLY", v, 0.7), (0.04, 0.09, 0.07), (0.5, 0.55, 0.5))
        col = g.mix(dark, white, green)
        grout = g.brick(p, (1, 1, 1), (1, 1, 1), (0.3, 0.3, 0.3), 1.0, 0.004, 1.0, 1.0,
                        offset=0.0, smooth=0.0)
        col = g.mix(1.0, col, out(grout, "Color"), "MULTIPLY")
        return g.bsdf(col, 0.05)

    def panels(g: Graph) -> Value:
        p = g.geo("Position")
        u = g.math("ADD", g.xyz(p)[0], g.xyz(p)[1])
        z = g.xyz(p)[2]
        fu = g.math("FRACT", g.math("DIVIDE", u, 2.4))
        frame = g.math("MAXIMUM", g.remap(g.math("ABSOLUTE", g.math("SUBTRACT", fu, 0.5)), 0.4, 0.42),
                       g.remap(g.math("ABSOLUTE", g.math("SUBTRACT", z, 2.2)), 1.5, 1.55))
        dado = g.remap(z, 0.95, 0.9)
        col = g.mix(frame, (0.86, 0.8, 0.66), (0.93, 0.9, 0.8))
        col = g.mix(dado, col, (0.75, 0.68, 0.55))
        gilt = g.math("MAXIMUM", g.remap(g.math("ABSOLUTE", g.math("SUBTRACT", z, 5.6)), 0.08, 0.06),
                      g.remap(g.math("ABSOLUTE", g.math("SUBTRACT", z, 0.95)), 0.04, 0.03))
        col = g.mix(gilt, col, (0.8, 0.6, 0.25))
        return g.bsdf(col, g.math("SUBTRACT", 0.6, g.math("MULTIPLY", gilt, 0.35)),
                      g.bump(frame, 0.3, 0.01), Metallic=gilt)

    floor = material("marble", marble)
    box("floor", floor, (0, 8, -0.1), (14, 30, 0.1))
    wall = material("panels", panels)
    box("wall_l", wall, (-6, 8, 0), (0.3, 30, 7.5))
    box("wall_far", wall, (0, 22, 0), (14, 0.3, 7.5))
    box("wall_r", wall, (6, 8, 0), (0.3, 30, 7.5))
    box("ceiling", plaster("ceiling", (0.92, 0.9, 0.84)), (0, 8, 7.5), (14, 30, 0.2))
    col_mat = material("column", lambda g: g.bsdf(
        g.mix(out(g.noise(g.geo("Position"), 1.5, 6, 0.6, 2.0), "Factor"), (0.92, 0.9, 0.86),
              (0.7, 0.68, 0.64)), 0.15))
    gold = flat("gold", (0.85, 0.62, 0.25), 0.25, Metallic=1.0)
    for side in (-1, 1):
        for j in range(6):
            x, y = side * 4.2, 1 + j * 3.6
            cylinder("column", col_mat, (x, y, 0.5), 0.32, 5.7, segments=32)
            box("plinth", col_mat, (x, y, 0), (0.9, 0.9, 0.5))
            box("capital", gold, (x, y, 6.2), (0.9, 0.9, 0.35))
    win = daylight_window("window", 5.0, 0.5, "Y")
    drape = material("drape", lambda g: g.bsdf(
        g.mix(out(g.wave(g.geo("Position"), 6.0, 0.0, 0.0), "Factor"), (0.35, 0.04, 0.05),
              (0.55, 0.08, 0.08)), 0.7,
        g.bump(out(g.wave(g.geo("Position"), 6.0, 0.0, 0.0), "Factor"), 0.8, 0.05),
        Sheen_Weight=0.6))
    for j in range(5):
        y = 2.8 + j * 3.6
        box("window", win, (5.83, y, 1.2), (0.05, 1.6, 4.6))
        area_lamp((5.6, y, 3.5), (1.6, 4.6), 900, (1.0, 0.97, 0.92), target=(0, y, 1.0))
        for dy in (-1.05, 1.05):
            box("drape", drape, (5.7, y + dy, 0.0), (0.15, 0.5, 6.2))
    crystal = material("crystal", lambda g: g.emit((1.0, 0.85, 0.6), 15.0))
    for j in range(3):
        y = 3 + j * 6.0
        for k in range(12):
            a = 2 * math.pi * k / 12
            sphere("candle", crystal, (0.7 * math.cos(a), y + 0.7 * math.sin(a), 5.9), 0.06, 1)
        box("chandelier", gold, (0, y, 5.85), (0.2, 0.2, 1.65))
        point_lamp((0, y, 5.7), 250, (1.0, 0.8, 0.55), 0.5)

    def carpet(g: Graph) -> Value:
        p = g.geo("Position")
        x = g.xyz(p)[0]
        border = g.remap(g.math("ABSOLUTE", x), 1.05, 1.1)
        pat = g.wave(g.scale(p, (1.0, 0.5, 1.0)), 2.0, 2.0, 2, kind="RINGS")
        col = g.mix(g.math("MULTIPLY", out(pat, "Factor"), 0.3), (0.45, 0.05, 0.06), (0.6, 0.4, 0.1))
        col = g.mix(border, col, (0.7, 0.55, 0.2))
        return g.bsdf(col, 0.95)

    box("carpet", material("carpet", carpet), (0, 10, 0), (2.4, 22, 0.01))
    camera((-2.5, -4, 1.7), (0.5, 18, 2.3), lens=22)
    grade(-0.4, "AgX - Punchy")




# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    names = [s.name for s in SCENES]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="+", metavar="NAME", choices=names,
                    help="render just these scenes")
    # 16 samples plus OpenImageDenoise is visually indistinguishable from 32
    # here and keeps the whole set near 12 minutes on two cores.
    ap.add_argument("--samples", type=int, default=16, help="Cycles samples per pixel")
    ap.add_argument("--size", type=int, default=1024, help="square image size in pixels")
    ap.add_argument("--out", type=Path, default=HERE, help="output folder")
    args = ap.parse_args(argv)

    todo = [s for s in SCENES if not args.only or s.name in args.only]
    start = time.perf_counter()
    for sc in todo:
        t0 = time.perf_counter()
        reset()
        sc.build(random.Random(zlib.crc32(sc.name.encode())))
        path = args.out / sc.group / f"{sc.name}.jpg"
        render(path, args.size, args.samples)
        print(f"{sc.group}/{sc.name}: {time.perf_counter() - t0:.1f} s, "
              f"{path.stat().st_size // 1024} KiB", flush=True)
    print(f"total {time.perf_counter() - start:.1f} s for {len(todo)} images", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
