{
  # zokio_io.node: the io_uring and epoll backends (raw Node-API C, no liburing). `pnpm build:native` builds it;
  # `pnpm test:asan` rebuilds it with AddressSanitizer (asan=1) and runs the native tests under it.
  "variables": {
    "asan%": 0
  },
  "targets": [
    {
      "target_name": "zokio_io",
      "sources": [
        "native/addon.c",
        "native/arena.c",
        "native/epoll.c",
        "native/epoll_addon.c",
        "native/epoll_groups.c",
        "native/epoll_pool.c",
        "native/epoll_sockets.c",
        "native/napi_util.c",
        "native/ops.c",
        "native/pbuf_ring.c",
        "native/ring.c",
        "native/sockets.c",
        "native/op_slots.c",
        "native/uring.c"
      ],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags_c": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-fvisibility=hidden"],
      "conditions": [
        [
          "asan==1",
          {
            "cflags_c": ["-fsanitize=address", "-fno-omit-frame-pointer", "-g"],
            "ldflags": ["-fsanitize=address"]
          }
        ],
        [
          "OS!='linux'",
          {
            "type": "none"
          }
        ]
      ]
    }
  ]
}
