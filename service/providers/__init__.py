"""Scraping providers: where a job's pages of creators come from."""
