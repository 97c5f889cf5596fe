"""Controllers translate HTTP to use-case calls and back; nothing else."""
