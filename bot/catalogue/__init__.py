"""The government-service catalogue: data, search, LINE cards, web page and rich menu."""
