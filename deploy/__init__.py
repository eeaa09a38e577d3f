"""Deployment helpers that run inside the image (deploy/k8s, docker-compose.yml)."""
