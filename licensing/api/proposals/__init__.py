"""Four eyes: proposals of grave status changes, and a second officer's approval or rejection."""
