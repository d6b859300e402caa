"""The shared layer below every stage: each fact two stages need is defined here, once."""
