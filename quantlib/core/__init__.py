"""Foundation shared by every layer: errors, configuration base, dates and times."""
