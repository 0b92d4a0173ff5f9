"""The app's screens: home, run and help."""
