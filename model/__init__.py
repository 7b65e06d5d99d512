"""Platform economy simulator: subsidised growth, lock-in and rent extraction, on Mesa.

    from model import load_params, PlatformEconomy
    economy = PlatformEconomy(load_params("params/baseline.toml")).run()
    economy.model_frame()
"""

from model.params import Params, ParamsError, load_params

__all__ = ["Params", "ParamsError", "PlatformEconomy", "load_params"]


def __getattr__(name):
    # Imported lazily so that `python -m model params` does not pay for Mesa's import.
    if name == "PlatformEconomy":
        from model.economy import PlatformEconomy

        return PlatformEconomy
    raise AttributeError(name)
