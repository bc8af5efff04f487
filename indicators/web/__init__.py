"""The web layer: the only modules of the package that import Streamlit, and the pages' only
door into the product.

- `connection` – the process's database connection and the caches cleared after a write;
- `data`       – cached loaders: every read a page makes, as DataFrames or plain values;
- `actions`    – one function per user action (sign in, upload, revert, save a target, build
                 a file), each checking the account itself; refusals arrive as `Refused`;
- `session`    – who is signed in, idle time-outs, the role a page needs;
- `widgets`    – the pieces of Streamlit several pages share (scope picker, badges, notices).

The pure helpers pages draw with come through here as they are, so that a page imports
`indicators.web` and nothing else of the package: number formats (`fmt`), interface strings
(`i18n`), the status vocabulary (`statuses`), charts, slide texts and the overview's table shapes.
"""
from indicators.present import charts, scorecard_table, slides
from indicators.progress import statuses
from indicators.text import fmt, i18n
from indicators.text.fold import fold, matches

__all__ = ["charts", "fmt", "fold", "i18n", "matches", "scorecard_table", "slides", "statuses"]
