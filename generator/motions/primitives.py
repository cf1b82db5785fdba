"""Shared motion primitives: the vocabulary every fine-class program is written in.

A program receives a :class:`Scene`, adds objects with :meth:`Scene.obj` and animates them with the
methods of :class:`Actor`. Frames are 0-based indices into the clip. Every primitive writes its channel
from its first frame to the end of the clip and *holds* the final value afterwards, so primitives
applied in time order compose like keyframes: ``a.move(p, 0, 30).move(q, 40, 60)`` moves, pauses, moves.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Callable

import numpy as np

from synta.generator.shapes import get_shape

Vec = Sequence[float | None]

EASINGS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda u: u,
    "smooth": lambda u: u * u * (3 - 2 * u),  # ease in and out, like Blender's default Bezier keys
    "in": lambda u: u * u,  # accelerate (gravity-like)
    "out": lambda u: 1 - (1 - u) ** 2,  # decelerate
}


class Actor:
    """One object of a scene and its per-frame tracks."""

    def __init__(self, scene: "Scene", shape: str, position: Vec, scale: float, color: Sequence[float],
                 material: str, role: str, yaw: float) -> None:
        n = scene.num_frames
        self.scene, self.shape, self.material, self.role = scene, shape, material, role
        self.morph_to: str | None = None
        self.scale = np.full(n, float(scale))
        x, y, z = position
        self.position = np.tile([x, y, self.rest_z if z is None else z], (n, 1)).astype(float)
        self.rotation = np.tile([0.0, 0.0, yaw], (n, 1))
        self.opacity = np.ones(n)
        self.color = np.tile(np.asarray(color, dtype=float), (n, 1))
        self.morph = np.zeros(n)
        self.exists = np.ones(n, dtype=bool)

    # -- geometry helpers ---------------------------------------------------------------------------
    @property
    def rest_z(self) -> float:
        """Centre height at which the object (at its frame-0 scale) rests on the ground."""
        return get_shape(self.shape).half_height * float(self.scale[0])

    @property
    def radius(self) -> float:
        """Bounding-sphere radius at the frame-0 scale."""
        return get_shape(self.shape).radius * float(self.scale[0])

    @property
    def footprint(self) -> float:
        """Horizontal radius about the vertical axis at the frame-0 scale, whatever the yaw: objects on
        the ground whose centres are further apart than the sum of their footprints cannot touch."""
        return float(np.linalg.norm(get_shape(self.shape).vertices[:, :2], axis=1).max() * self.scale[0])

    def at(self, frame: int) -> np.ndarray:
        """Position at a frame (a copy)."""
        return self.position[self.scene.frame(frame)].copy()

    # -- channel writers ----------------------------------------------------------------------------
    def _ramp(self, channel: np.ndarray, target: np.ndarray, f0: float, f1: float, ease: str) -> None:
        s = self.scene
        a, b = s.frame(f0), s.frame(f1)
        start = channel[a].copy()
        if b > a:
            u = EASINGS[ease](np.linspace(0.0, 1.0, b - a + 1))
            u = u.reshape((-1,) + (1,) * (channel.ndim - 1))
            channel[a:b + 1] = start + (target - start) * u
        channel[b:] = target

    def _target(self, to: Vec, f0: float) -> np.ndarray:
        cur = self.at(f0)
        return np.array([c if t is None else float(t) for c, t in zip(cur, to)])

    def move(self, to: Vec, f0: float, f1: float, ease: str = "smooth") -> "Actor":
        """Go to ``to`` (``None`` components unchanged) between frames f0 and f1."""
        self._ramp(self.position, self._target(to, f0), f0, f1, ease)
        return self

    def place(self, to: Vec, frame: float = 0) -> "Actor":
        """Jump to ``to`` at ``frame`` (a cut, used while invisible or before the object exists)."""
        return self.move(to, frame, frame)

    def path(self, points: Sequence[Vec], f0: float, f1: float, ease: str = "linear") -> "Actor":
        """Visit ``points`` in order between f0 and f1, time split in proportion to segment length."""
        pts = [self.at(f0)]
        for p in points:
            pts.append(np.array([c if t is None else float(t) for c, t in zip(pts[-1], p)]))
        lengths = np.array([np.linalg.norm(q - p) for p, q in zip(pts, pts[1:])])
        bounds = f0 + (f1 - f0) * np.concatenate([[0.0], np.cumsum(lengths) / max(lengths.sum(), 1e-9)])
        for p, a, b in zip(pts[1:], bounds, bounds[1:]):
            self.move(p, a, b, ease)
        return self

    def hop(self, to: Vec, height: float, f0: float, f1: float) -> "Actor":
        """Parabolic hop to ``to``, peaking ``height`` above the higher of the two end points."""
        self.move(to, f0, f1, "linear")
        a, b = self.scene.frame(f0), self.scene.frame(f1)
        if b > a:
            u = np.linspace(0.0, 1.0, b - a + 1)
            z0, z1 = self.position[a, 2], self.position[b, 2]
            peak = max(z0, z1) + height
            # z(u) through z0, peak (at its vertex) and z1: a quadratic fitted to the three constraints
            self.position[a:b + 1, 2] = _parabola(z0, peak, z1, u)
        return self

    def ballistic(self, velocity: Sequence[float], f0: float, gravity: float = 9.81,
                  floor: float | None = None) -> int:
        """Free flight from the current position with ``velocity`` (units/s) under gravity.

        The object flies until its centre comes down to ``floor`` (default: resting on the ground),
        then rests there. Returns the landing frame.
        """
        s = self.scene
        a = s.frame(f0)
        p0 = self.at(a)
        floor = self.rest_z if floor is None else floor
        t = (np.arange(s.num_frames - a)) / s.fps
        v = np.asarray(velocity, dtype=float)
        traj = p0 + v * t[:, None]
        traj[:, 2] -= 0.5 * gravity * t**2
        below = np.nonzero((traj[:, 2] <= floor) & (t > 0) & (v[2] - gravity * t < 0))[0]
        land = int(below[0]) if below.size else len(t) - 1
        # land exactly on the floor: interpolate the last step to the crossing point
        if below.size:
            zp, zc = traj[land - 1, 2], traj[land, 2]
            w = (zp - floor) / max(zp - zc, 1e-9)
            traj[land] = traj[land - 1] + w * (traj[land] - traj[land - 1])
            traj[land, 2] = floor
        self.position[a:a + land + 1] = traj[:land + 1]
        self.position[a + land:] = traj[land]
        return a + land

    def zigzag(self, to: Vec, f0: float, f1: float, steps: int, amplitude: float,
               lateral: Sequence[float]) -> "Actor":
        """Go to ``to`` in ``steps`` straight legs that swing ``amplitude`` to alternate sides of the
        direct line along the ``lateral`` direction (ending on the line)."""
        start = self.at(f0)
        end = self._target(to, f0)
        lat = np.asarray(lateral, dtype=float)
        pts = []
        for k in range(1, steps + 1):
            side = 0.0 if k == steps else (amplitude if k % 2 else -amplitude)
            pts.append(start + (end - start) * k / steps + side * lat)
        return self.path(pts, f0, f1, "linear")

    def bounce(self, f0: float, heights: Sequence[float], hop_frames: Sequence[float],
               step: Sequence[float] = (0.0, 0.0, 0.0)) -> float:
        """Bounce off the current height: hop ``i`` rises ``heights[i]`` above the ground contact and
        lasts ``hop_frames[i]`` frames while the object drifts by ``step``. Returns the end frame."""
        f = f0
        for h, n in zip(heights, hop_frames):
            nxt = self.at(f) + np.asarray(step, dtype=float)
            nxt[2] = self.at(f)[2]
            self.hop(nxt, h, f, f + n)
            f += n
        return f

    def orbit(self, center: Sequence[float], f0: float, f1: float, turns: float = 1.0,
              clockwise: bool = True, normal: Sequence[float] = (0.0, 0.0, 1.0),
              start_angle: float | None = None, ease: str = "linear") -> "Actor":
        """Circle ``center`` in the plane perpendicular to ``normal``.

        Direction is as seen from the side ``normal`` points to (from above for the default normal).
        The radius and start angle come from the current position unless ``start_angle`` (radians) is
        given, in which case the object is first placed on the circle.
        """
        c = np.asarray(center, dtype=float)
        n = np.asarray(normal, dtype=float)
        n = n / np.linalg.norm(n)
        u, v = _plane_basis(n)
        a, b = self.scene.frame(f0), self.scene.frame(f1)
        rel = self.at(a) - c
        radius = float(np.linalg.norm(rel - (rel @ n) * n))
        theta0 = np.arctan2(rel @ v, rel @ u) if start_angle is None else start_angle
        sign = -1.0 if clockwise else 1.0
        uu = EASINGS[ease](np.linspace(0.0, 1.0, b - a + 1))
        theta = theta0 + sign * 2 * np.pi * turns * uu
        self.position[a:b + 1] = c + radius * (np.cos(theta)[:, None] * u + np.sin(theta)[:, None] * v)
        self.position[b:] = self.position[b]
        return self

    def follow(self, leader: "Actor", f0: float, f1: float, lag: int,
               offset: Sequence[float] = (0.0, 0.0, 0.0)) -> "Actor":
        """Trace ``leader``'s path ``lag`` frames behind it (plus ``offset``) from f0 to f1."""
        a, b = self.scene.frame(f0), self.scene.frame(f1)
        src = np.clip(np.arange(a, b + 1) - lag, 0, None)
        self.position[a:b + 1] = leader.position[src] + np.asarray(offset, dtype=float)
        self.position[b:] = self.position[b]
        return self

    def fade(self, to: float, f0: float, f1: float, ease: str = "linear") -> "Actor":
        """Opacity ramp to ``to`` (0 = invisible, 1 = opaque)."""
        self._ramp(self.opacity, np.float64(to), f0, f1, ease)
        return self

    def grow(self, to: float, f0: float, f1: float, ease: str = "smooth", grounded: bool = True) -> "Actor":
        """Scale ramp to ``to``; ``grounded`` keeps the object resting on the ground while it scales."""
        a = self.scene.frame(f0)
        half = get_shape(self.shape).half_height
        on_ground = grounded and abs(self.position[a, 2] - half * self.scale[a]) < 1e-6
        self._ramp(self.scale, np.float64(to), f0, f1, ease)
        if on_ground:
            self.position[a:, 2] = half * self.scale[a:]
        return self

    def recolor(self, to: Sequence[float], f0: float, f1: float, ease: str = "linear") -> "Actor":
        """Colour ramp to RGB ``to``."""
        self._ramp(self.color, np.asarray(to, dtype=float), f0, f1, ease)
        return self

    def morph_into(self, shape: str, f0: float, f1: float, ease: str = "smooth") -> "Actor":
        """Turn into ``shape`` (reference-style cross-scaling; see ObjectTrack.morph). An object resting
        on the ground stays on it: its height blends between the two shapes' resting heights."""
        if self.morph_to not in (None, shape):
            raise ValueError("an object morphs into one other shape per clip")
        self.morph_to = shape
        return self._morph_ramp(1.0, f0, f1, ease)

    def morph_back(self, f0: float, f1: float, ease: str = "smooth") -> "Actor":
        """Return from ``morph_to`` to the original shape (staying on the ground if resting on it)."""
        return self._morph_ramp(0.0, f0, f1, ease)

    def _morph_ramp(self, to: float, f0: float, f1: float, ease: str) -> "Actor":
        a = self.scene.frame(f0)
        h0, h1 = get_shape(self.shape).half_height, get_shape(self.morph_to).half_height
        rest = self.scale * (h0 + (h1 - h0) * self.morph)
        on_ground = abs(self.position[a, 2] - rest[a]) < 1e-6
        self._ramp(self.morph, np.float64(to), f0, f1, ease)
        if on_ground:
            self.position[a:, 2] = self.scale[a:] * (h0 + (h1 - h0) * self.morph[a:])
        return self

    def appear_at(self, frame: float) -> "Actor":
        """The object does not exist before ``frame`` (clones)."""
        self.exists[: self.scene.frame(frame)] = False
        return self

    def vanish_at(self, frame: float) -> "Actor":
        """The object stops existing at ``frame`` (merged objects)."""
        self.exists[self.scene.frame(frame):] = False
        return self

    def teleport(self, to: Vec, f0: float, f1: float, fade_frames: float) -> "Actor":
        """Fade out from f0, jump to ``to`` while invisible, fade in to be opaque again at f1."""
        out_end, in_start = f0 + fade_frames, f1 - fade_frames
        self.fade(0.0, f0, out_end)
        self.place(to, (out_end + in_start) / 2)
        return self.fade(1.0, in_start, f1)


class Scene:
    """Mutable builder a motion program fills: objects, randomness and the camera's viewpoint.

    ``right`` and ``toward_camera`` are horizontal unit vectors of the chosen camera (screen right, and
    from the action towards the camera), so programs can say "left to right" or "in front of" in
    screen terms whatever the camera's azimuth.
    ``focus`` (set with :meth:`look_at`) is the point the camera aims at, if the program chooses one.

    Shapes and object colours draw from their own generators (``shape_rng``, ``color_rng``), not from
    ``rng``: a different shape pool or colour scheme then leaves every motion draw, and so every track,
    as it was (``synta ablate`` relies on it for counterfactual pairs).
    """

    def __init__(self, num_frames: int, fps: int, rng: np.random.Generator, pool: list[str],
                 azimuth_deg: float, fixed_colors: bool, *, shape_rng: np.random.Generator,
                 color_rng: np.random.Generator) -> None:
        self.num_frames, self.fps, self.rng, self.pool = num_frames, fps, rng, pool
        self._shape_rng, self._color_rng = shape_rng, color_rng
        az = np.radians(azimuth_deg)
        self.toward_camera = np.array([np.cos(az), np.sin(az), 0.0])
        self.right = np.array([-np.sin(az), np.cos(az), 0.0])
        self.actors: list[Actor] = []
        self.focus: np.ndarray | None = None  # where the camera looks (None: the centre of the action)
        self._fixed_colors = fixed_colors
        self._unused_shapes: list[str] = []

    @property
    def last(self) -> int:
        """Index of the last frame."""
        return self.num_frames - 1

    def frame(self, f: float) -> int:
        """A frame number rounded and clamped into the clip."""
        return int(min(max(round(f), 0), self.num_frames - 1))

    # -- randomness (all from the clip's generator, so a clip is reproducible) -----------------------
    def u(self, lo: float, hi: float) -> float:
        """Uniform draw in [lo, hi)."""
        return float(self.rng.uniform(lo, hi))

    def jitter(self, value: float, frac: float = 0.1) -> float:
        """``value`` times a uniform factor in [1 - frac, 1 + frac)."""
        return value * self.u(1 - frac, 1 + frac)

    def pick(self, options: Sequence):
        """One element of ``options``."""
        return options[int(self.rng.integers(len(options)))]

    def sign(self) -> float:
        """-1.0 or +1.0."""
        return float(self.pick((-1.0, 1.0)))

    def heading(self, spread: float = 60.0) -> np.ndarray:
        """A random horizontal unit vector within ``spread`` degrees of screen-right or screen-left,
        so that travel along it reads on screen from this clip's camera."""
        return turn(self.right * self.sign(), self.u(-spread, spread))

    def color(self) -> list[float]:
        """A random RGB colour (fixed palette entries when the ``colors="fixed"`` factor is set)."""
        if self._fixed_colors:
            return list(_PALETTE[len(self.actors) % len(_PALETTE)])
        return [float(c) for c in self._color_rng.uniform(0.1, 1.0, 3)]

    def shape(self, exclude: Sequence[str] = ()) -> str:
        """A shape from the pool, cycling through it so objects of one clip differ where possible."""
        if not [s for s in self._unused_shapes if s not in exclude]:
            self._unused_shapes = list(self._shape_rng.permutation(self.pool))
        choice = next((s for s in self._unused_shapes if s not in exclude), None)
        if choice is None:  # the pool has nothing but excluded shapes
            raise ValueError(f"shape pool {self.pool} has no shape outside {list(exclude)}")
        self._unused_shapes.remove(choice)
        return choice

    def look_at(self, point: Sequence[float]) -> None:
        """Aim the camera at world ``point`` instead of the centre of the action (the camera distance is
        still fitted so every object stays in view): a motion with a place of its own, such as the spot
        an arrival comes to rest on, shows that place in the middle of the frame."""
        self.focus = np.asarray(point, dtype=float)

    # -- objects --------------------------------------------------------------------------------
    def obj(self, at: Vec = (0.0, 0.0, None), shape: str | None = None, scale: float | None = None,
            color: Sequence[float] | None = None, material: str = "glossy", role: str = "actor") -> Actor:
        """Add an object at ``at`` (``z=None``: resting on the ground).

        Shape, colour and scale are drawn per clip unless given (scale jitters around 1, i.e. 2 units).
        ``role`` names the object's part in the motion for annotations and checks (``actor``,
        ``static``, ``leader``, ``clone``, ...).
        """
        actor = Actor(self, shape or self.shape(), at, self.jitter(1.0, 0.12) if scale is None else scale,
                      self.color() if color is None else color, material, role, self.u(0, 2 * np.pi))
        self.actors.append(actor)
        return actor

    def clone(self, source: Actor, frame: float, role: str = "clone") -> Actor:
        """A copy of ``source`` that comes into existence at ``frame`` where ``source`` is."""
        twin = Actor(self, source.shape, source.at(0), float(source.scale[0]), source.color[0],
                     source.material, role, float(source.rotation[0, 2]))
        for name in ("position", "rotation", "scale", "opacity", "color", "morph"):
            setattr(twin, name, getattr(source, name).copy())
        twin.appear_at(frame)
        self.actors.append(twin)
        return twin

    def screen(self, right: float, depth: float = 0.0, z: float | None = None) -> tuple:
        """World (x, y, z) of a point ``right`` units to screen-right and ``depth`` units towards the
        camera from the origin (``z=None`` keeps the object's resting height)."""
        p = right * self.right + depth * self.toward_camera
        return (float(p[0]), float(p[1]), z)


def turn(d: Sequence[float], degrees: float) -> np.ndarray:
    """Horizontal vector ``d`` turned counter-clockwise (seen from above) by ``degrees``."""
    a = np.radians(degrees)
    return np.array([np.cos(a) * d[0] - np.sin(a) * d[1], np.sin(a) * d[0] + np.cos(a) * d[1], 0.0])


def ground(p: Sequence[float]) -> tuple:
    """Point ``p`` as a target on the ground: x and y kept, z left to the object's resting height."""
    return (float(p[0]), float(p[1]), None)


def _plane_basis(n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Orthonormal (u, v) with u x v = n; for a horizontal n, u is horizontal and v is world up."""
    up = np.array([0.0, 0.0, 1.0])
    if abs(n @ up) > 0.99:  # horizontal plane: u = +x, v = +y (counter-clockwise = increasing angle)
        u = np.array([1.0, 0.0, 0.0])
        v = np.cross(n, u)
        return u, v
    v = up - (up @ n) * n
    v /= np.linalg.norm(v)
    return np.cross(v, n), v


def _parabola(z0: float, peak: float, z1: float, u: np.ndarray) -> np.ndarray:
    """Quadratic through (0, z0) and (1, z1) whose maximum is ``peak``."""
    # z(u) = peak - k (u - m)^2 with z(0) = z0, z(1) = z1: sqrt(peak - z0) / m = sqrt(peak - z1) / (1 - m)
    r0, r1 = np.sqrt(max(peak - z0, 1e-9)), np.sqrt(max(peak - z1, 1e-9))
    m = r0 / (r0 + r1)
    k = (peak - z0) / (m * m)
    return peak - k * (u - m) ** 2


_PALETTE = ((0.85, 0.15, 0.15), (0.15, 0.45, 0.85), (0.95, 0.75, 0.1), (0.2, 0.7, 0.3),
            (0.6, 0.25, 0.75), (0.95, 0.45, 0.1), (0.1, 0.75, 0.75), (0.9, 0.9, 0.9))
