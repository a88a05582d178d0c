"""Generated ciem.v1 protocol buffer and gRPC modules (scripts/gen_proto.py); do not edit them."""
