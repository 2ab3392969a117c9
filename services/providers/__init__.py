"""AI providers behind three small protocols: refiner, frame generator, video generator."""
