"""The provider the settings ask for."""

from service.providers.base import Provider
from service.providers.scrapecreators import ScrapeCreatorsProvider
from service.providers.simulated import SimulatedProvider
from service.settings import Settings


def provider_for(settings: Settings) -> Provider:
    if settings.provider == "scrapecreators":
        if not settings.scrapecreators_api_key:
            raise ValueError("PROVIDER=scrapecreators needs SCRAPECREATORS_API_KEY")
        return ScrapeCreatorsProvider(
            base_url=settings.scrapecreators_base_url,
            api_key=settings.scrapecreators_api_key,
            timeout_seconds=settings.provider_timeout_seconds,
            # One HTTP request per search: the worker retries, and charges every call to the job's budget.
            http_retries=0,
        )
    return SimulatedProvider(
        latency_seconds=settings.simulated_latency_ms / 1000, failure_rate=settings.simulated_failure_rate
    )
