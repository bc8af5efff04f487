"""Plans, their targets and baselines as admins change them, each change kept with its previous value."""
