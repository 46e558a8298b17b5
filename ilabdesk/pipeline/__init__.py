"""`ilabdesk run`: validate -> generate -> train -> export -> evaluate, as one resumable job.

`run` is the "pipeline" job function; `install_sample` sets up the bundled
sample taxonomy that the README demo and the GUI's "try it" start from.
"""

from ilabdesk.pipeline.job import run
from ilabdesk.pipeline.sample import install_sample

__all__ = ["install_sample", "run"]
