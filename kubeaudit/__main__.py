from kubeaudit.cli import main

raise SystemExit(main())
