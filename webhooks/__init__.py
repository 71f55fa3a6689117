"""Ringg webhook receiver: call events posted by Ringg, checked, de-duplicated and signalled to the campaign."""
