"""Which CPU each side runs on: the server on one core, the load generator on another."""

import os
import platform
import shutil
from dataclasses import dataclass


@dataclass(frozen=True)
class CpuPlan:
    server_cpu: int | None
    client_cpu: int | None

    @property
    def pinned(self) -> bool:
        return self.server_cpu is not None

    def server_prefix(self) -> list[str]:
        return ["taskset", "-c", str(self.server_cpu)] if self.pinned else []

    def client_prefix(self) -> list[str]:
        return ["taskset", "-c", str(self.client_cpu)] if self.pinned else []

    def describe(self) -> dict[str, object]:
        return {
            "regime": (
                f"pinned: servers on cpu {self.server_cpu}, wrk on cpu {self.client_cpu}"
                if self.pinned
                else "unpinned: taskset missing or fewer than 2 CPUs"
            ),
            "cpus_available": len(os.sched_getaffinity(0)),
            "cpu_model": _cpu_model(),
            "machine": platform.machine(),
            "python": platform.python_version(),
        }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def plan(pin: bool = True) -> CpuPlan:
    """Pin when we can: two CPUs we may run on and taskset to put processes on them."""
    cpus = sorted(os.sched_getaffinity(0))
    if pin and len(cpus) >= 2 and shutil.which("taskset"):
        return CpuPlan(server_cpu=cpus[0], client_cpu=cpus[1])
    return CpuPlan(server_cpu=None, client_cpu=None)
