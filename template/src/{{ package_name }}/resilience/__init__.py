"""What happens when the model cannot answer well: deadlines and the fallback chain."""
