"""One module per page of the investigator app (UI only; data comes from ``ui.components``)."""
