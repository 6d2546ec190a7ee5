"""The runtime: making the hosts of a site match what the compiler produced, through libvirt.

    (SiteModel, [Artifact]) ─target─► SiteTarget
    SiteTarget + live state (backend) ─plan─► Plan (pure data) ─apply─► libvirt

`target` reads the compiled artifacts, `backend` is the only module that
talks to libvirt, `plan` is a pure function of the two, `apply` carries a
plan out host by host, in threads, in dependency order.
"""
