"""The Helm charts hubfleet ships, as package data: `hubfleet render` writes each into a fleet's
gitops/charts/ (core/package_data.shipped_charts). Not Python; this file only makes the folder a
package that importlib.resources can read."""
