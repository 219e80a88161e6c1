"""The inventory dashboard: stock value at cost, low and out of stock, days of cover, aging."""
