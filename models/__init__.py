"""What flows through liushou: validated persons, engine facts and assessments."""
