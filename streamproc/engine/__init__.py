"""How records get from Kafka to the company lanes and back, in batches (faust extensions)."""
