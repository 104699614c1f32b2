"""English texts per area of the UI, each module a dict `EN` of Dutch text -> English; merged by web.i18n."""
