"""Adapters: MongoDB through motor, the asyncio runner, the clock, settings, wiring."""
