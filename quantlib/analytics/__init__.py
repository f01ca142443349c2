"""Performance analytics and reports; for now, the chart style shared by notebooks."""
