"""gwlang: describe virtual-machine sites in the gw language, compile and deploy them."""

__version__ = "0.1.0"
