"""CrossingWatch: find, refer for takedown and counter online content that advertises migrant smuggling."""

from crossingwatch.core import Assessment, Evidence, Indicators, Post

__version__ = "0.1.0"
__all__ = ["Assessment", "Evidence", "Indicators", "Post", "__version__"]
