from gwlang.cli import main

raise SystemExit(main())
