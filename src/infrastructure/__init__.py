"""Adapters: MongoDB through Beanie/motor, the asyncio runner, the clock, settings, wiring."""
