"""Yiwang (一网): an integrated Internet + Government Services platform for one province."""
