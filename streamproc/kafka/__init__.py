"""A real local Apache Kafka broker (KRaft) from Maven Central jars, and topic administration."""
