"""The aiohttp application: route table, health, and (later) pages and the JSON API."""
