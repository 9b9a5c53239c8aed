"""The application shell around the booking rules: storage, group commit, the
event hub, configuration and the Tornado application factory."""
