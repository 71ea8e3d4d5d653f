"""koban: turn the NPA/FSA/NISC Lazarus warning into daily checks for crypto-asset businesses."""

from koban.model import Finding, Location, Report, Severity, Verdict

__version__ = "0.1.0"

__all__ = ["Finding", "Location", "Report", "Severity", "Verdict", "__version__"]
