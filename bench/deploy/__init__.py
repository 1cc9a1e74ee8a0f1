"""The deploy benchmark: build seconds cold and cached, deploy seconds, requests under load."""
