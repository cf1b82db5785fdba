"""Render synta's default background images with procedural Blender scenes.

Makes 20 photo-like scene images, 10 in ``set1/`` and 10 in ``set2/`` (the same
spirit as the reference dataset's two background lists: landscapes, skies and
interiors).  Every pixel comes from Blender's procedural features only -- sky
textures, noise/voronoi/wave/brick shader textures, noise-displaced terrain and
simple box/cylinder geometry -- so no external image, texture or model is used
and the project may ship the results under its own licence.

Runs headless with the ``bpy`` module (not inside the Blender GUI)::

    .venv/bin/python assets/backgrounds/make_backgrounds.py [--only NAME ...]
        [--samples N] [--size PX] [--out DIR]

Output is ``<out>/set1/<name>.jpg`` and ``<out>/set2/<name>.jpg`` (default
``<out>`` is this script's folder).  Cycles on the CPU with OpenImageDenoise; at
the defaults (1024 px, 32 samples) the whole set takes about 13 minutes on two
CPU cores (20-60 s per image).  Everything is seeded, so reruns give the same
images up to floating-point noise of the denoiser.
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

import bpy  # must come first: it makes bmesh and mathutils importable
import bmesh  # noqa: I001
from mathutils import Vector, noise

HERE = Path(__file__).resolve().parent

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

    def addsh(self, a: Value, b: Value) -> bpy.types.Node:
        return self.nth("ShaderNodeAddShader", None, a, b)


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


def world(build: Callable[[Graph], Value], strength: float = 1.0) -> None:
    """World background: `build` returns the colour seen in every direction."""
    w = bpy.data.worlds.new("World")
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
        if not surf.links:
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
            height: Callable[[float, float], float], loc: Sequence[float] = (0, 0, 0),
            size_y: float | None = None) -> bpy.types.Object:
    """Grid whose vertices are lifted by `height(x, y)` (Blender's
    mathutils.noise fractals); fine detail comes from the material's bump."""
    def fill(bm: bmesh.types.BMesh) -> None:
        bmesh.ops.create_grid(bm, x_segments=res, y_segments=res, size=size / 2)
        sy = (size_y or size) / size
        for v in bm.verts:
            v.co.y *= sy
            v.co.z = height(v.co.x + loc[0], v.co.y + loc[1])
    return link(name, _mesh(name, fill), mat, loc, smooth=True)


def ground(mat: bpy.types.Material, z: float = 0.0, size: float = 40000.0) -> bpy.types.Object:
    """Huge flat plane under everything so the horizon never shows the
    world below it; distance fog blends it into the sky."""
    def fill(bm: bmesh.types.BMesh) -> None:
        bmesh.ops.create_grid(bm, x_segments=1, y_segments=1, size=size / 2)
    return link("ground", _mesh("ground", fill), mat, (0, 0, z))


def conifer(name: str, bark: bpy.types.Material, leaves: bpy.types.Material,
            rng: random.Random, tiers: int = 5, bare: float = 0.25,
            width: float = 0.3) -> bpy.types.Object:
    """Unit-height spruce: a trunk and `tiers` jittered, overlapping cones.
    Scale the object to size; clones share the mesh."""
    def fill(bm: bmesh.types.BMesh) -> None:
        geom = bmesh.ops.create_cone(bm, cap_ends=True, segments=8, radius1=0.03 * width / 0.3,
                                     radius2=0.01, depth=1.0)
        for v in geom["verts"]:
            v.co.z += 0.5
        for f in bm.faces:
            f.material_index = 0
        for i in range(tiers):
            t = i / tiers
            z0 = bare + (1 - bare) * t * 0.92
            h = (1 - bare) * 0.42
            r = width * (1 - t) ** 0.8 + 0.04
            geom = bmesh.ops.create_cone(bm, cap_ends=True, segments=11, radius1=r,
                                         radius2=0.0, depth=h)
            for v in geom["verts"]:
                v.co.z += z0 + h / 2
                if v.co.z < z0 + h / 2:     # ragged lower rim
                    v.co.x += rng.uniform(-0.25, 0.25) * r
                    v.co.y += rng.uniform(-0.25, 0.25) * r
                    v.co.z += rng.uniform(-0.3, 0.3) * h * 0.3
            for f in {f for v in geom["verts"] for f in v.link_faces}:
                f.material_index = 1
    me = _mesh(name, fill)
    me.materials.append(bark)
    me.materials.append(leaves)
    return link(name, me, None)


def scatter(proto: bpy.types.Object, rng: random.Random, count: int,
            where: Callable[[random.Random], tuple[float, float] | None],
            height: Callable[[float, float], float], size: tuple[float, float],
            squash: float = 0.15) -> None:
    """Linked clones of `proto` at points drawn by `where` (None = reject),
    standing on `height`, with random size, heading and slight lean."""
    for _ in range(count):
        p = where(rng)
        if p is None:
            continue
        s = rng.uniform(*size)
        w = s * rng.uniform(1 - squash, 1 + squash)
        clone(proto, (p[0], p[1], height(*p) - 0.05 * s),
              (rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(0, 360)), (w, w, s))


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
        col = g.mix(out(n, "Factor"), dark, light)
        rand = out(g.node("ShaderNodeObjectInfo"), "Random")
        col = g.mix(g.math("MULTIPLY", rand, 0.5), col, [c * 0.6 for c in dark])
        b = g.bump(out(n, "Factor"), 0.8, 0.05)
        if snow:
            up = g.xyz(g.geo("Normal"))[2]
            cover = g.remap(g.math("ADD", up, g.math("MULTIPLY", out(n, "Factor"), 0.6)),
                            1.1 - snow, 1.3 - snow, smooth=True)
            col = g.mix(cover, col, (0.85, 0.88, 0.95))
        return g.bsdf(col, 0.8, b)
    return material(name, build)


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
    sun_lamp(elev, azim, 4.5, (1.0, 0.95, 0.88))
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
        grass = g.ramp(out(var, "Factor"), [(0.3, (0.13, 0.26, 0.04)), (0.5, (0.25, 0.38, 0.07)),
                                            (0.7, (0.42, 0.45, 0.12))])
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
        b = g.bump(out(g.noise(p, 3.0, 4), "Factor"), 0.35, 0.2)
        return g.bsdf(col, 0.85, b)

    mat = material("land", land)
    terrain("land", mat, 6000, 760, height, loc=(0, 2000, 0))
    ground(mat, -40)
    tree = conifer("spruce", bark(), foliage("needles", (0.02, 0.06, 0.02), (0.06, 0.12, 0.04)),
                   rng)

    def spot(r: random.Random) -> tuple[float, float] | None:
        x, y = r.uniform(-500, 500), r.uniform(40, 900)
        return (x, y) if fbm(x, y, 160, 3, seed=s + 5) > 0.12 else None

    scatter(tree, rng, 1400, spot, height, (9, 20))
    camera((0, -60, height(0, -60) + 3), (0, 400, 30), lens=28)
    add_fog(0.00045, start=150)
    grade(0.0, "AgX - Punchy")


@scene("set1", "Dense spruce forest floor with moss, ferns and hazy depth")
def pine_forest(rng: random.Random) -> None:
    elev, azim = 30.0, 210.0
    world(lambda g: sky(g, Sky(elev, azim, aerosol=3.0)))
    sun_lamp(elev, azim, 4.0, (1.0, 0.9, 0.72))
    s = rng.random() * 10

    def height(x: float, y: float) -> float:
        return 3 * fbm(x, y, 60, 4, seed=s)

    def floor(g: Graph) -> Value:
        p = g.coord("Object")
        moss = g.noise(p, 0.25, 6, 0.65)
        needles = g.noise(g.scale(p, (1.0, 4.0, 1.0)), 12.0, 3, 0.5, 2.0)
        col = g.ramp(out(moss, "Factor"), [(0.35, (0.1, 0.07, 0.04)), (0.55, (0.2, 0.14, 0.07)),
                                           (0.62, (0.12, 0.2, 0.04)), (0.8, (0.2, 0.3, 0.06))])
        col = g.mix(g.math("MULTIPLY", out(needles, "Factor"), 0.5), col, (0.3, 0.18, 0.08))
        b = g.bump(out(needles, "Factor"), 0.5, 0.05)
        return g.bsdf(col, 0.9, b)

    mat = material("floor", floor)
    terrain("floor", mat, 600, 300, height, loc=(0, 200, 0))
    ground(mat, -10)
    trunk = bark()
    trees = [conifer(f"spruce{i}", trunk,
                     foliage(f"needles{i}", (0.015, 0.04, 0.015), (0.05, 0.1, 0.03)),
                     rng, tiers=6, bare=0.38 + 0.08 * i, width=0.22) for i in range(2)]

    def spot(r: random.Random) -> tuple[float, float] | None:
        x, y = r.uniform(-160, 160), r.uniform(-10, 420)
        return (x, y) if math.hypot(x * 1.6, y) > 9 else None

    for t in trees:
        scatter(t, rng, 420, spot, height, (20, 32))
    bush_mat = foliage("fern", (0.05, 0.14, 0.02), (0.16, 0.3, 0.05))
    bush = sphere("fern", bush_mat, (0, 0, -100), 1.0, 2)
    scatter(bush, rng, 260, lambda r: (r.uniform(-60, 60), r.uniform(3, 160)), height,
            (0.5, 1.3), squash=0.4)
    camera((0, -6, height(0, -6) + 1.7), (0, 60, 6), lens=24)
    add_fog(0.018, (0.42, 0.5, 0.48), start=4)
    grade(0.3, "AgX - Punchy")


@scene("set1", "Red sandstone canyon with layered walls under a clear sky")
def red_canyon(rng: random.Random) -> None:
    elev, azim = 42.0, 120.0
    sun = sun_vector(elev, azim)
    world(lambda g: cloud_deck(g, sky(g, Sky(elev, azim, aerosol=0.6)),
                               Clouds(cover=0.22, scale=1.0, stretch=2.5, seed=5.0), sun))
    sun_lamp(elev, azim, 5.0, (1.0, 0.93, 0.82))
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
        layers = g.math("ADD", z, g.math("MULTIPLY", out(warp, "Factor"), 20))
        band = g.wave(g.vec(0.0, 0.0, layers), 0.35, 2.0, 3, axis="Z")
        col = g.ramp(out(band, "Factor"), [(0.0, (0.45, 0.16, 0.07)), (0.3, (0.62, 0.27, 0.12)),
                                           (0.55, (0.74, 0.45, 0.26)), (0.8, (0.5, 0.2, 0.1)),
                                           (1.0, (0.78, 0.58, 0.4))])
        grit = g.noise(p, 1.5, 8, 0.65)
        col = g.mix(g.math("MULTIPLY", out(grit, "Factor"), 0.5), col, (0.25, 0.12, 0.07),
                    "MULTIPLY")
        flat = g.remap(up, 0.8, 0.93, smooth=True)
        sand = g.ramp(out(grit, "Factor"), [(0.3, (0.58, 0.34, 0.2)), (0.7, (0.7, 0.45, 0.27))])
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
    add_fog(0.0005, start=200)
    grade(0.0, "AgX - Punchy")


@scene("set1", "Milky Way and star field over a dark mountain ridge")
def galaxy_night(rng: random.Random) -> None:
    def night(g: Graph) -> Value:
        x, y, z = dirs(g)
        base = g.ramp(z, [(0.0, (0.035, 0.04, 0.06)), (0.25, (0.008, 0.012, 0.03)),
                          (1.0, (0.002, 0.003, 0.01))])
        # Milky Way: a band around a tilted great circle, broken by dust.
        d = g.coord("Generated")
        axis = Vector((0.55, -0.25, 0.8)).normalized()
        lat = g.math("ABSOLUTE", g.vmath("DOT_PRODUCT", d, axis))
        band = g.math("EXPONENT", g.math("MULTIPLY", g.math("POWER", lat, 2.0), -28.0))
        glow = g.noise(d, 3.0, 8, 0.6, 0.4, seed=3)
        dust = g.noise(d, 6.0, 8, 0.62, 0.8, seed=7)
        core = g.math("MULTIPLY", band, g.remap(out(glow, "Factor"), 0.35, 0.75))
        core = g.math("MULTIPLY", core, g.remap(out(dust, "Factor"), 0.62, 0.45))
        neb = g.ramp(out(glow, "Factor"), [(0.35, (0.25, 0.3, 0.55)), (0.55, (0.7, 0.55, 0.5)),
                                           (0.75, (0.85, 0.6, 0.75))])
        sky_col = g.mix(g.math("MULTIPLY", core, 0.5), base, neb, "ADD")
        dense = g.math("MULTIPLY", band, 1.6)
        stars = g.mix(1.0, star_field(g, 420, 1.0, 0.12, 4.0), star_field(g, 160, 2.0, 0.06, 20.0),
                      "ADD")
        stars = g.mix(1.0, stars, g.math("ADD", 0.6, dense), "MULTIPLY")
        sky_col = g.mix(1.0, sky_col, stars, "ADD")
        airglow = g.remap(z, 0.12, 0.0)
        sky_col = g.mix(g.math("MULTIPLY", airglow, 0.25), sky_col, (0.2, 0.3, 0.15), "ADD")
        return g.mix(g.remap(z, 0.0, -0.02), sky_col, (0.0, 0.0, 0.0))

    world(night)
    sun_lamp(20, 200, 0.012, (0.6, 0.7, 1.0), angle=3.0)   # faint starlight
    s = rng.random() * 10

    def height(x: float, y: float) -> float:
        return 260 * ridged(x, y, 700, 7, seed=s) * smoothstep(100, 900, y) + 5 * fbm(x, y, 40)

    def land(g: Graph) -> Value:
        n = g.noise(g.coord("Object"), 0.1, 6)
        return g.bsdf(g.mix(out(n, "Factor"), (0.02, 0.025, 0.03), (0.06, 0.06, 0.07)), 0.9)

    mat = material("land", land)
    terrain("ridge", mat, 4000, 500, height, loc=(0, 1800, 0))
    ground(mat, -20)
    camera((0, -200, 20), (0, 800, 420), lens=20)
    grade(0.6, "AgX - Punchy")


@scene("set1", "Snowfield with wind-carved drifts, frosted spruces and low winter sun")
def snowy_field(rng: random.Random) -> None:
    elev, azim = 12.0, 235.0
    world(lambda g: sky(g, Sky(elev, azim, aerosol=0.3, ozone=2.0)))
    sun_lamp(elev, azim, 4.5, (1.0, 0.86, 0.7))
    s = rng.random() * 10

    def height(x: float, y: float) -> float:
        far = smoothstep(700, 2500, math.hypot(x, y))
        return 10 * fbm(x, y, 260, 5, seed=s) + 520 * ridged(x, y, 1100, 7, seed=s) * far

    def snow(g: Graph) -> Value:
        p = g.coord("Object")
        up = g.xyz(g.geo("Normal"))[2]
        drift = g.wave(g.scale(p, (0.3, 1.0, 1.0)), 0.25, 8.0, 4, axis="Y", detail_scale=0.5)
        fine = g.noise(p, 6.0, 4)
        rock = g.ramp(out(g.noise(p, 0.05, 6, 0.6), "Factor"),
                      [(0.4, (0.1, 0.1, 0.11)), (0.6, (0.3, 0.3, 0.32))])
        bare = g.remap(up, 0.6, 0.5, smooth=True)
        col = g.mix(bare, (0.86, 0.9, 0.97), rock)
        b = g.bump(out(drift, "Factor"), 0.3, 0.3)
        b = g.bump(out(fine, "Factor"), 0.1, 0.02, normal=b)
        return g.bsdf(col, 0.55, b, Specular_IOR_Level=0.3)

    mat = material("snow", snow)
    terrain("snowfield", mat, 6000, 760, height, loc=(0, 2200, 0))
    ground(mat, -40)
    tree = conifer("fir", bark(), foliage("frosted", (0.02, 0.05, 0.03), (0.05, 0.1, 0.05),
                                          snow=0.45), rng, tiers=6)

    def spot(r: random.Random) -> tuple[float, float] | None:
        x, y = r.uniform(-700, 700), r.uniform(30, 1100)
        return (x, y) if fbm(x, y, 200, 3, seed=s + 4) > 0.15 else None

    scatter(tree, rng, 900, spot, height, (8, 18))
    camera((0, -80, height(0, -80) + 2.2), (0, 400, 20), lens=28)
    add_fog(0.0004, start=200)
    grade(-0.2, "AgX - Punchy")


@scene("set1", "Volcanic field of black basalt with glowing lava cracks and a lava river")
def lava_field(rng: random.Random) -> None:
    def smoke(g: Graph) -> Value:
        x, y, z = dirs(g)
        base = g.ramp(z, [(0.0, (0.35, 0.09, 0.02)), (0.3, (0.08, 0.035, 0.03)),
                          (1.0, (0.02, 0.02, 0.025))])
        return cloud_deck(g, base, Clouds(cover=0.75, scale=0.9, lit=(0.3, 0.1, 0.05),
                                          shade=(0.03, 0.025, 0.025), soft=0.4, seed=4.0))

    world(smoke)
    s = rng.random() * 10

    def centre(y: float) -> float:
        return 35 * math.sin(y / 70 + s) + 12 * math.sin(y / 23)

    def height(x: float, y: float) -> float:
        d = abs(x - centre(y))
        bed = smoothstep(4, 22, d)
        far = smoothstep(300, 1500, math.hypot(x, y))
        return (2.5 * bed + 3 * fbm(x, y, 30, 6, seed=s) + 0.8 * ridged(x, y, 6, 4, s)
                + 400 * ridged(x, y, 900, 6, s) * far - 2)

    def basalt(g: Graph) -> Value:
        p = g.coord("Object")
        z = g.xyz(g.geo("Position"))[2]
        cracks = g.voronoi(p, 0.35, "DISTANCE_TO_EDGE", seed=2)
        warp = g.noise(p, 0.2, 3)
        heat = g.remap(out(cracks, "Distance"), 0.05, 0.0)
        heat = g.math("MULTIPLY", heat, g.remap(out(warp, "Factor"), 0.45, 0.6))
        heat = g.math("MULTIPLY", heat, g.remap(z, 4.0, 0.5))
        n = g.noise(p, 1.2, 8, 0.7)
        col = g.ramp(out(n, "Factor"), [(0.3, (0.02, 0.02, 0.02)), (0.7, (0.09, 0.08, 0.075))])
        b = g.bump(out(n, "Factor"), 0.8, 0.15)
        glow = g.ramp(heat, [(0.0, (0.0, 0.0, 0.0)), (0.5, (1.0, 0.18, 0.01)),
                             (1.0, (1.0, 0.6, 0.15))])
        return g.bsdf(col, 0.75, b, Emission_Color=glow, Emission_Strength=12.0)

    def lava(g: Graph) -> Value:
        p = g.coord("Object")
        flow = g.noise(g.scale(p, (1.0, 0.35, 1.0)), 0.6, 8, 0.65, 2.0)
        crust = g.voronoi(g.scale(p, (1.0, 0.5, 1.0)), 0.5, "DISTANCE_TO_EDGE")
        hot = g.math("MAXIMUM", g.remap(out(crust, "Distance"), 0.12, 0.02),
                     g.remap(out(flow, "Factor"), 0.5, 0.7))
        col = g.ramp(hot, [(0.0, (0.05, 0.01, 0.005)), (0.4, (0.9, 0.12, 0.01)),
                           (0.8, (1.0, 0.45, 0.05)), (1.0, (1.0, 0.8, 0.35))])
        return g.bsdf((0.03, 0.02, 0.02), 0.6, Emission_Color=col, Emission_Strength=30.0)

    mat = material("basalt", basalt)
    terrain("field", mat, 3000, 700, height, loc=(0, 1000, 0))
    ground(mat, -10)

    def river(x: float, y: float) -> float:
        return 0.45

    riv = terrain("lava", material("lava", lava, glows=True), 60, 240, river, loc=(0, 120, 0),
                  size_y=1.0)
    me = riv.data
    for v in me.vertices:       # bend the strip along the river's course
        wy = v.co.y * 8 + 120
        v.co.x = centre(wy) + v.co.x * 0.22
        v.co.y = wy - 120
    camera((14, -40, height(14, -40) + 9), (-5, 120, -6), lens=26)
    add_fog(0.0025, (0.16, 0.05, 0.03), start=30)
    grade(0.0, "AgX - Punchy")


# SCENES_PLACEHOLDER


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    names = [s.name for s in SCENES]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="+", metavar="NAME", choices=names,
                    help="render just these scenes")
    ap.add_argument("--samples", type=int, default=32, help="Cycles samples per pixel")
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
